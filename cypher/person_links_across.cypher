// Links whose ends belong to two different persons among $ids (from a's person).
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)-[l:LINKED]->(j:Identifier)
      -[:BELONGS_TO]->(q:Person)
USING INDEX SEEK p:Person(person_id)
WHERE q.person_id IN $ids AND q <> p
RETURN i.key AS a, j.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
ORDER BY a, b
