// Pairs of persons holding the two ends of a cannot-link (a steward's "different
// people"), one of them among $ids. Few links have that status: read from the index.
MATCH (a:Identifier)-[l:LINKED]->(b:Identifier)
USING INDEX SEEK l:LINKED(status)
WHERE l.status = 'cannot_link'
MATCH (a)-[:BELONGS_TO]->(p:Person)
MATCH (b)-[:BELONGS_TO]->(q:Person)
WITH p.person_id AS x, q.person_id AS y
WHERE x IN $ids OR y IN $ids
RETURN x, y
