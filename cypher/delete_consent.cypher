// Consent signals removed by (key, purpose).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[c:CONSENT]->(u:Purpose)
WHERE u.name = row.purpose
DELETE c
