// Source records of these identifiers, most recent first.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})-[:HAS_RECORD]->(r:Record)
RETURN r.source AS source, r.record_id AS record_id, i.key AS key,
       r.attributes AS attributes, r.observed_at AS observed_at
ORDER BY observed_at DESC, key, source, record_id
