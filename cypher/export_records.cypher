// Every source record with the identifier that carries it, streamed in (source, record_id)
// order, as the embedded store returns them (training is deterministic for a given order).
MATCH (r:Record)
WHERE r.source IS NOT NULL AND r.record_id IS NOT NULL
MATCH (i:Identifier)-[:HAS_RECORD]->(r)
RETURN r.source AS source, r.record_id AS record_id, i.key AS key,
       r.attributes AS attributes, r.observed_at AS observed_at
ORDER BY source, record_id
