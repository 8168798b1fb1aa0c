// Every API key.
MATCH (k:ApiKey)
RETURN k.name AS name, k.role AS role, k.digest AS digest, k.segments AS segments,
       k.destinations AS destinations, k.created_at AS created_at, k.revoked_at AS revoked_at
