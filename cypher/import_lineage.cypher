// Template (see add_lineage.cypher): copied lineage, upserted: an identical edge is not
// added twice.
UNWIND $rows AS row
MATCH (f:Person {person_id: row.from_id})
MATCH (t:Person {person_id: row.to_id})
MERGE (f)-[:%%kind%% {at: row.at, reason: row.reason}]->(t)
