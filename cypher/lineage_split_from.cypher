// Lineage: (from)-[:SPLIT_FROM]->(to); an old person ID always resolves to its current person(s).
UNWIND $rows AS row
MATCH (f:Person {person_id: row.from_id})
MATCH (t:Person {person_id: row.to_id})
CREATE (f)-[:SPLIT_FROM {at: row.at, reason: row.reason}]->(t)
