MATCH (:Person {person_id: $person_id})<-[:BELONGS_TO]-(i:Identifier)
RETURN i.key AS key, i.type AS type, i.value AS value, i.first_seen AS first_seen,
       i.last_seen AS last_seen, i.is_hub AS is_hub, i.hub_reason AS hub_reason
ORDER BY type, value
