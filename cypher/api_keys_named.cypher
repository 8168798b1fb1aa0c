// The API keys among $names, in name order.
UNWIND $names AS name
MATCH (k:ApiKey {name: name})
USING INDEX SEEK k:ApiKey(name)
RETURN k.name AS name, k.role AS role, k.digest AS digest, k.segments AS segments,
       k.destinations AS destinations, k.created_at AS created_at, k.revoked_at AS revoked_at
ORDER BY name
