// Every source record with the identifier that carries it, streamed for a copy.
MATCH (i:Identifier)-[:HAS_RECORD]->(r:Record)
RETURN r.source AS source, r.record_id AS record_id, i.key AS key,
       r.attributes AS attributes, r.observed_at AS observed_at
