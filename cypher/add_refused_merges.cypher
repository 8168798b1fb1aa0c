// `seq` orders refusals newest first: unit of work number * 1,000,000 + position.
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
CREATE (:RefusedMerge {a: row.a, b: row.b, person_a: row.person_a, person_b: row.person_b,
                       rule: row.rule, reason: row.reason, at: row.at, seq: row.seq})
