// Template (see add_activity.cypher): copied activity KIND -> TARGET, upserted with
// its totals replaced (not added to).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (t:%%target%% {id: row.target_id})
MERGE (i)-[r:%%kind%% {day: row.day}]->(t)
SET r.count = row.count, r.first_at = row.first_at, r.last_at = row.last_at,
    r.amount = row.amount
