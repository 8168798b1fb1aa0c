// Identifiers flagged as hubs (from the is_hub index), ordered by key.
MATCH (i:Identifier)
// The is_hub index: ordering by the key index instead (for LIMIT) reads every identifier.
USING INDEX SEEK i:Identifier(is_hub)
WHERE i.is_hub = true
MATCH (i)-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, i.type AS type, i.value AS value, p.person_id AS person_id,
       i.first_seen AS first_seen, i.last_seen AS last_seen, i.is_hub AS is_hub,
       i.hub_reason AS hub_reason, i.joined AS joined
ORDER BY key
LIMIT $limit
