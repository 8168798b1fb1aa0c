// Remove identifiers with their links, activity, records, consent and membership (activity
// targets such as products, and purposes, stay: other identifiers may point at them).
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
OPTIONAL MATCH (i)-[:HAS_RECORD]->(r:Record)
DETACH DELETE r, i
