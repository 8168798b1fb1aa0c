// Activity of these identifiers; the target's label is its type (Product, Campaign, Case).
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[r:PURCHASED|VIEWED|EXPOSED_TO|OPENED_CASE|CLOSED_CASE]->(t:Product|Campaign|Case)
RETURN i.key AS key, type(r) AS kind,
       [l IN labels(t) WHERE l IN ['Product', 'Campaign', 'Case']][0] AS target_type,
       t.id AS target_id, r.day AS day, r.count AS count, r.first_at AS first_at, r.last_at AS last_at,
       r.amount AS amount
ORDER BY key, kind, target_type, target_id, day
