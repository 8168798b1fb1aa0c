// Records removed by (source, record_id).
UNWIND $rows AS row
MATCH (r:Record {source: row.source, record_id: row.record_id})
USING INDEX SEEK r:Record(source, record_id)
DETACH DELETE r
