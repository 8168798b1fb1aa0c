// Every link with an end among these identifiers.
// The start node is matched on its own, then expanded: written as one inline pattern,
// the planner sized by a large $keys list chose a whole index scan per key (quadratic).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
MATCH (i)-[l:LINKED]-(:Identifier)
WITH DISTINCT l
WITH l, startNode(l) AS a, endNode(l) AS b
RETURN a.key AS a, b.key AS b, l.weight AS weight, l.kind AS kind, l.sources AS sources,
       l.evidence AS evidence, l.count AS count, l.first_seen AS first_seen,
       l.last_seen AS last_seen, l.status AS status
ORDER BY a, b
