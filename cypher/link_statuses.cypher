// Status of the existing links among these pairs (each a < b, stored from a to b).
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})-[l:LINKED]->(b:Identifier {key: row.b})
RETURN row.a AS a, row.b AS b, l.status AS status
