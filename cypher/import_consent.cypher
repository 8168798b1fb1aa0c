// Copied consent signals, upserted by (key, purpose) with their values replaced.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (u:Purpose {name: row.purpose})
MERGE (i)-[c:CONSENT]->(u)
SET c.granted = row.granted, c.source = row.source, c.at = row.at
