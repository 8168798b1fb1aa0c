// Identifiers and links of a person
// $person_id: a current person ID. Every identifier of the person, and every LINKED edge
// among them (weight, kind, sources, count, status); hubs show is_hub = true.
MATCH (p:Person {person_id: $person_id})<-[b:BELONGS_TO]-(i:Identifier)
OPTIONAL MATCH (i)-[l:LINKED]->(j:Identifier)-[:BELONGS_TO]->(p)
RETURN p, b, i, l, j, i.key AS identifier, j.key AS linked_to, l.weight AS weight,
       l.kind AS kind, l.sources AS sources, l.count AS count, l.status AS status
ORDER BY identifier, linked_to
