// What clustering needs to know about identifiers already stored.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, p.person_id AS person_id, i.is_hub AS is_hub, i.joined AS joined
