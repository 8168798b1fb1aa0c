// Links (a < b, stored from a to b) as final rows, upserted by pair with every field replaced
// (the core folded the evidence); copies between stores write them the same way.
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
MERGE (a)-[l:LINKED]->(b)
SET l.weight = row.weight, l.kind = row.kind, l.sources = row.sources,
    l.evidence = row.evidence, l.count = row.count, l.first_seen = row.first_seen,
    l.last_seen = row.last_seen, l.status = row.status, l.caption = row.caption
