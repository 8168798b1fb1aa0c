// The links among a person's identifiers.
MATCH (p:Person {person_id: $person_id})<-[:BELONGS_TO]-(a:Identifier)
MATCH (a)-[l:LINKED]->(b:Identifier)-[:BELONGS_TO]->(p)
RETURN a.key AS a, b.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
ORDER BY a, b
