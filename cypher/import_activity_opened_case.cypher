// Copied activity OPENED_CASE -> Case, upserted with its totals replaced (not added to).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MERGE (t:Case {id: row.target_id})
MERGE (i)-[r:OPENED_CASE]->(t)
SET r.count = row.count, r.first_at = row.first_at, r.last_at = row.last_at,
    r.amount = row.amount
