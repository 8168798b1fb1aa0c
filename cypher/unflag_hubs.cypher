// A released hub: no longer a hub (its hub memory cleared, the :Hub label removed).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
USING INDEX SEEK i:Identifier(key)
SET i.is_hub = false, i.hub_reason = null, i.joined = []
REMOVE i:Hub
