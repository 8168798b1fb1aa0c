// Source records of these identifiers, most recent first.
// The start node is matched on its own, then expanded: written as one inline pattern,
// the planner sized by a large $keys list chose a whole index scan per key (quadratic).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
MATCH (i)-[:HAS_RECORD]->(r:Record)
RETURN r.source AS source, r.record_id AS record_id, i.key AS key,
       r.attributes AS attributes, r.observed_at AS observed_at
ORDER BY observed_at DESC, key, source, record_id
