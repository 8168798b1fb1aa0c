// The hubs among the identifiers of the persons $ids, ordered by key.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)
USING INDEX SEEK p:Person(person_id)
WHERE i.is_hub = true
RETURN i.key AS key, i.type AS type, i.value AS value, p.person_id AS person_id,
       i.first_seen AS first_seen, i.last_seen AS last_seen, i.is_hub AS is_hub,
       i.hub_reason AS hub_reason, i.joined AS joined
ORDER BY key
LIMIT $limit
