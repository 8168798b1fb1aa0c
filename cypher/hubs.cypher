MATCH (i:Identifier)
WHERE i.is_hub = true
RETURN i.key AS key, i.type AS type, i.value AS value, i.first_seen AS first_seen,
       i.last_seen AS last_seen, i.is_hub AS is_hub, i.hub_reason AS hub_reason
ORDER BY key
LIMIT $limit
