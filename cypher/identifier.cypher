// An identifier and its current person ID.
MATCH (i:Identifier {key: $key})-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, i.type AS type, i.value AS value, i.first_seen AS first_seen,
       i.last_seen AS last_seen, i.is_hub AS is_hub, i.hub_reason AS hub_reason,
       p.person_id AS person_id
