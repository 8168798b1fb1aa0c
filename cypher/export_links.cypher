// Every link (a < b, stored from a to b) with all its fields, streamed for a copy.
MATCH (a:Identifier)-[l:LINKED]->(b:Identifier)
RETURN a.key AS a, b.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
