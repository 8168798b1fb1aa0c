// Copied activity VIEWED -> Product, upserted with its totals replaced (not added to).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MERGE (t:Product {id: row.target_id})
MERGE (i)-[r:VIEWED]->(t)
SET r.count = row.count, r.first_at = row.first_at, r.last_at = row.last_at,
    r.amount = row.amount
