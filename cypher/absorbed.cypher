// Every old person ID resolving to one of $ids: MERGED_INTO lineage followed backwards.
// The planner sizes a batch by its list: the hint keeps one seek per row.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
USING INDEX SEEK p:Person(person_id)
MATCH (q:Person)-[:MERGED_INTO*1..]->(p)
RETURN DISTINCT q.person_id AS person_id
