// Links with an end created by this batch: they cannot exist yet, so no MERGE (which
// would scan the relationships of the other, possibly dense, end).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
USING INDEX SEEK a:Identifier(key)
MATCH (b:Identifier {key: row.b})
USING INDEX SEEK b:Identifier(key)
CREATE (a)-[:LINKED {weight: row.weight, kind: row.kind, sources: row.sources,
                     evidence: row.evidence, count: row.count, first_seen: row.first_seen,
                     last_seen: row.last_seen, status: row.status,
                     caption: row.caption}]->(b)
