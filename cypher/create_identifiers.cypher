// Identifiers first seen in this batch (the core gave them a person: it found them absent
// in this same transaction, under the write lock), created with their BELONGS_TO.
// CREATE, not MERGE: should one exist after all, the uniqueness constraint fails the batch.
// Each also carries its type as a label for Neo4j Browser (email -> Email, device_id ->
// DeviceId): row.label is computed by the store from a strictly checked type name. It is
// given in the CREATE: a SET after it made the planner buffer every row (Eager).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
USING INDEX SEEK p:Person(person_id)
CREATE (i:Identifier:$(row.label) {key: row.key, type: row.type, value: row.value,
                      first_seen: row.first_seen, last_seen: row.last_seen, is_hub: false,
                      joined: [], caption: row.caption})-[:BELONGS_TO]->(p)
