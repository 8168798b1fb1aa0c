// Template (see add_lineage.cypher): copied lineage, upserted: an identical edge is not
// added twice.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (f:Person {person_id: row.from_id})
USING INDEX SEEK f:Person(person_id)
MATCH (t:Person {person_id: row.to_id})
USING INDEX SEEK t:Person(person_id)
MERGE (f)-[:%%kind%% {at: row.at, reason: row.reason}]->(t)
