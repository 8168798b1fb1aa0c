// The stored consent signal of these identifiers, one per purpose.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[c:CONSENT]->(u:Purpose)
RETURN i.key AS key, u.name AS purpose, c.granted AS granted, c.source AS source, c.at AS at
ORDER BY key, purpose
