// Consent signals (folded to one per key and purpose by the store), kept only when newer
// than the stored one: a later `at`, or the same `at` denying what it grants (a denial
// wins a tie). Keys not stored are ignored.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (u:Purpose {name: row.purpose})
MERGE (i)-[c:CONSENT]->(u)
WITH c, row
WHERE c.at IS NULL OR row.at > c.at OR (row.at = c.at AND c.granted AND NOT row.granted)
SET c.granted = row.granted, c.source = row.source, c.at = row.at
