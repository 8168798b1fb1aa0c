// Copied source records, upserted by (source, record_id), hanging off their identifier;
// `row.props` is every property of the node (see upsert_records.cypher), replaced whole.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (r:Record {source: row.source, record_id: row.record_id})
SET r = row.props
WITH i, r
OPTIONAL MATCH (r)<-[old:HAS_RECORD]-(other:Identifier)
WHERE other <> i
DELETE old
WITH DISTINCT i, r
MERGE (i)-[:HAS_RECORD]->(r)
