// Identifiers already stored: widen their seen range (written only when it changes).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
WITH i, row
WHERE row.first_seen < i.first_seen OR row.last_seen > i.last_seen
SET i.first_seen = CASE WHEN row.first_seen < i.first_seen
                        THEN row.first_seen ELSE i.first_seen END,
    i.last_seen = CASE WHEN row.last_seen > i.last_seen THEN row.last_seen ELSE i.last_seen END
