// Remove the links of these pairs (a < b, stored from a to b); ends found by key first, as
// in pair_links.cypher.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
USING INDEX SEEK a:Identifier(key)
MATCH (b:Identifier {key: row.b})
USING INDEX SEEK b:Identifier(key)
MATCH (a)-[l:LINKED]->(b)
DELETE l
