// Person rows among $ids, merged ones included.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
USING INDEX SEEK p:Person(person_id)
RETURN p.person_id AS person_id, p.created_at AS created_at, p.updated_at AS updated_at,
       p.merged_into AS merged_into
