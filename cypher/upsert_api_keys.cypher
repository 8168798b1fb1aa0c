// API keys replaced whole by name (created, revoked, or copied by migrate).
UNWIND $rows AS row
MERGE (k:ApiKey {name: row.name})
SET k.role = row.role, k.digest = row.digest, k.segments = row.segments,
    k.destinations = row.destinations, k.created_at = row.created_at,
    k.revoked_at = row.revoked_at
