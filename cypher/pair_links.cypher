// The stored links of exactly these pairs (each a < b, stored from a to b).
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})-[l:LINKED]->(b:Identifier {key: row.b})
RETURN a.key AS a, b.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
