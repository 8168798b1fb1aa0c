// Copied match models, replaced whole by version.
UNWIND $rows AS row
MERGE (m:MatchModel {version: row.version})
SET m.created_at = row.created_at, m.body = row.body
