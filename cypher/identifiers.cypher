// Stored identifiers among $keys, with their person, hub state and `joined`.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
// Its plan does not depend on the graph's statistics (hinted seeks): no replanning as the
// graph grows during an ingest (a one-row read was replanned at 200-600 ms).
CYPHER replan=skip
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, i.type AS type, i.value AS value, p.person_id AS person_id,
       i.first_seen AS first_seen, i.last_seen AS last_seen, i.is_hub AS is_hub,
       i.hub_reason AS hub_reason, i.joined AS joined
