// Copied source records, upserted by (source, record_id), hanging off their identifier.
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MERGE (r:Record {source: row.source, record_id: row.record_id})
SET r.attributes = row.attributes, r.observed_at = row.observed_at
WITH i, r
OPTIONAL MATCH (r)<-[old:HAS_RECORD]-(other:Identifier)
WHERE other <> i
DELETE old
WITH DISTINCT i, r
MERGE (i)-[:HAS_RECORD]->(r)
