// Links among each person's identifiers, as one pattern from the person back to itself:
// one expansion per identifier and link, linear in the person's links (two separate
// MATCHes let the planner join every pair of the person's identifiers).
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)-[l:LINKED]->(j:Identifier)
      -[:BELONGS_TO]->(p)
RETURN i.key AS a, j.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
ORDER BY a, b
