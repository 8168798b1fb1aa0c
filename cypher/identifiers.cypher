// Stored identifiers among $keys, with their person, hub state and `joined`.
// The start node is matched on its own, then expanded: written as one inline pattern,
// the planner sized by a large $keys list chose a whole index scan per key (quadratic).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
MATCH (i)-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, i.type AS type, i.value AS value, p.person_id AS person_id,
       i.first_seen AS first_seen, i.last_seen AS last_seen, i.is_hub AS is_hub,
       i.hub_reason AS hub_reason, i.joined AS joined
