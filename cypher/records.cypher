// Source records of these identifiers, most recent first.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[:HAS_RECORD]->(r:Record)
RETURN r.source AS source, r.record_id AS record_id, i.key AS key,
       r.attributes AS attributes, r.observed_at AS observed_at
ORDER BY observed_at DESC, key, source, record_id
