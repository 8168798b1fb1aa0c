// Remove persons with their lineage edges (their identifiers are gone or moved already).
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
USING INDEX SEEK p:Person(person_id)
DETACH DELETE p
