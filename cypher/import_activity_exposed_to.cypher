// Copied activity EXPOSED_TO -> Campaign, upserted with its totals replaced (not added to).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MERGE (t:Campaign {id: row.target_id})
MERGE (i)-[r:EXPOSED_TO]->(t)
SET r.count = row.count, r.first_at = row.first_at, r.last_at = row.last_at,
    r.amount = row.amount
