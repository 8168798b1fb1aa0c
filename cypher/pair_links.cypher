// The stored links of exactly these pairs (each a < b, stored from a to b). Both ends are
// found by key first: one pattern with both keys inline plans as a scan of every
// identifier per row; then Expand(Into) walks the end with fewer links.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks): no replanning as the
// graph grows during an ingest (a one-row read was replanned at 200-600 ms).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
USING INDEX SEEK a:Identifier(key)
MATCH (b:Identifier {key: row.b})
USING INDEX SEEK b:Identifier(key)
MATCH (a)-[l:LINKED]->(b)
RETURN a.key AS a, b.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
