// A trained match model, replaced whole by version.
MERGE (m:MatchModel {version: $version})
SET m.created_at = $created_at, m.body = $body
