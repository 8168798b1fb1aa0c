// The identifiers of each person among $ids, ordered by (type, value).
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)
RETURN i.key AS key, i.type AS type, i.value AS value, p.person_id AS person_id,
       i.first_seen AS first_seen, i.last_seen AS last_seen, i.is_hub AS is_hub,
       i.hub_reason AS hub_reason, i.joined AS joined
ORDER BY person_id, type, value
