// Identifiers and links of a person
// $person_id: a current person ID. Every identifier of the person and every LINKED edge
// among them, as a graph (captions: `match 0.973` probabilistic, `seen ×3` deterministic,
// `steward`); the table's first columns are the links' fields, weights rounded.
MATCH (p:Person {person_id: $person_id})<-[b:BELONGS_TO]-(i:Identifier)
OPTIONAL MATCH (i)-[l:LINKED]->(j:Identifier)-[:BELONGS_TO]->(p)
RETURN i.key AS identifier, j.key AS linked_to, l.kind AS kind, round(l.weight, 3) AS weight,
       l.count AS count, l.status AS status, l.sources AS sources, p, b, i, l, j
ORDER BY identifier, linked_to
