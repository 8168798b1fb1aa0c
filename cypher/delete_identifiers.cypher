// Remove identifiers with their links, activity, records and membership (activity targets
// such as products stay: other identifiers may point at them).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
OPTIONAL MATCH (i)-[:HAS_RECORD]->(r:Record)
DETACH DELETE r, i
