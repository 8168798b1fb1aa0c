// Template, one query per lineage kind (KIND: MERGED_INTO, SPLIT_FROM), filled by the
// store from a closed, checked set: (from)-[:KIND]->(to); an old person ID always
// resolves to its current person(s).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (f:Person {person_id: row.from_id})
USING INDEX SEEK f:Person(person_id)
MATCH (t:Person {person_id: row.to_id})
USING INDEX SEEK t:Person(person_id)
CREATE (f)-[:%%kind%% {at: row.at, reason: row.reason}]->(t)
