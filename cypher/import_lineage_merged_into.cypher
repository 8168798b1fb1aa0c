// Copied lineage (from)-[:MERGED_INTO]->(to), upserted: an identical edge is not added twice.
UNWIND $rows AS row
MATCH (f:Person {person_id: row.from_id})
MATCH (t:Person {person_id: row.to_id})
MERGE (f)-[:MERGED_INTO {at: row.at, reason: row.reason}]->(t)
