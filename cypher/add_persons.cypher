// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
CREATE (:Person {person_id: row.person_id, created_at: row.created_at,
                 updated_at: row.updated_at, caption: row.caption})
