// The identifiers of each person among $ids, ordered by (type, value): one row per person,
// its identifiers collected as lists (one Bolt record however large the person).
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
// Its plan does not depend on the graph's statistics (hinted seeks): no replanning as the
// graph grows during an ingest (a one-row read was replanned at 200-600 ms).
CYPHER replan=skip
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)
USING INDEX SEEK p:Person(person_id)
WITH id, i
ORDER BY id, i.type, i.value
RETURN id AS person_id,
       collect([i.key, i.type, i.value, i.first_seen, i.last_seen, i.is_hub, i.hub_reason,
                i.joined]) AS members
