// Lineage edges touching these persons, each once: what a durable ID resolves through.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
USING INDEX SEEK p:Person(person_id)
MATCH (p)-[r:MERGED_INTO|SPLIT_FROM]-(:Person)
WITH DISTINCT r
RETURN startNode(r).person_id AS from_id, endNode(r).person_id AS to_id, type(r) AS kind,
       r.at AS at, r.reason AS reason
ORDER BY at, from_id, to_id, kind
