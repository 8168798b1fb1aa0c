// Links with an end created by this batch: they cannot exist yet, so no MERGE (which
// would scan the relationships of the other, possibly dense, end).
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
CREATE (a)-[:LINKED {weight: row.weight, kind: row.kind, sources: row.sources,
                     evidence: row.evidence, count: row.count, first_seen: row.first_seen,
                     last_seen: row.last_seen, status: row.status}]->(b)
