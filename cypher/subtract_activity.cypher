// Activity taken back (a removed batch or source): its counts and amounts subtracted from
// the identifier's relationship of that kind, day and target; one left at 0 is deleted.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[r]->(t)
WHERE type(r) = row.kind AND r.day = row.day AND t.id = row.target_id
SET r.count = r.count - row.count, r.amount = r.amount - row.amount
WITH r
WHERE r.count <= 0
DELETE r
