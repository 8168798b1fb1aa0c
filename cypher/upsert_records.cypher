// A source's record, kept when it is at least as recent as the stored one; it hangs off
// the identifier that carries it (moved if that changed). `row.props` is every property
// of the node: source, record_id, attributes (JSON text), observed_at and one `attr_<name>`
// per attribute, so that `SET r = ...` replaces the attr_* of the previous version.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (r:Record {source: row.source, record_id: row.record_id})
WITH i, r, row
WHERE r.observed_at IS NULL OR row.observed_at >= r.observed_at
SET r = row.props
WITH i, r
OPTIONAL MATCH (r)<-[old:HAS_RECORD]-(other:Identifier)
WHERE other <> i
DELETE old
MERGE (i)-[:HAS_RECORD]->(r)
