// The API key with this digest (every authenticated request: an index seek).
MATCH (k:ApiKey {digest: $digest})
RETURN k.name AS name, k.role AS role, k.digest AS digest, k.segments AS segments,
       k.destinations AS destinations, k.created_at AS created_at, k.revoked_at AS revoked_at
