// Stewards' hub decisions, replaced whole by key (also what a copy imports).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MERGE (h:HubState {key: row.key})
SET h.state = row.state, h.reason = row.reason, h.at = row.at, h.actor = row.actor
