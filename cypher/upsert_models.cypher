// Match models, replaced whole by version (saved by training, or copied).
UNWIND $rows AS row
MERGE (m:MatchModel {version: row.version})
SET m.created_at = row.created_at, m.body = row.body
