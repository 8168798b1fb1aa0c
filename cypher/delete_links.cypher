// Remove the links of these pairs (a < b, stored from a to b); ends found by key first, as
// in pair_links.cypher.
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
MATCH (a)-[l:LINKED]->(b)
DELETE l
