// Template, one query per activity kind (KIND, its target label TARGET): types and
// labels cannot be parameters, so the store fills them from a closed, checked set.
// Activity hangs off the identifier, so merges and splits never rewrite it; one
// relationship per UTC day (`day`), whose totals add up.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MERGE (t:%%target%% {id: row.target_id})
MERGE (i)-[r:%%kind%% {day: row.day}]->(t)
  ON CREATE SET r.count = row.count, r.first_at = row.first_at, r.last_at = row.last_at,
                r.amount = row.amount
  ON MATCH SET r.count = r.count + row.count, r.amount = r.amount + row.amount,
               r.first_at = CASE WHEN row.first_at < r.first_at
                                 THEN row.first_at ELSE r.first_at END,
               r.last_at = CASE WHEN row.last_at > r.last_at THEN row.last_at ELSE r.last_at END
