// Stewards' hub decisions, replaced whole by key (also what a copy imports).
UNWIND $rows AS row
MERGE (h:HubState {key: row.key})
SET h.state = row.state, h.reason = row.reason, h.at = row.at, h.actor = row.actor
