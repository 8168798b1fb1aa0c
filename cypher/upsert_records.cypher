// A source's record, kept when it is at least as recent as the stored one; it hangs off
// the identifier that carries it (moved if that changed).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MERGE (r:Record {source: row.source, record_id: row.record_id})
WITH i, r, row
WHERE r.observed_at IS NULL OR row.observed_at >= r.observed_at
SET r.attributes = row.attributes, r.observed_at = row.observed_at
WITH i, r
OPTIONAL MATCH (r)<-[old:HAS_RECORD]-(other:Identifier)
WHERE other <> i
DELETE old
MERGE (i)-[:HAS_RECORD]->(r)
