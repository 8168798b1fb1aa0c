// Remove the links of these pairs (a < b, stored from a to b).
UNWIND $rows AS row
MATCH (:Identifier {key: row.a})-[l:LINKED]->(:Identifier {key: row.b})
DELETE l
