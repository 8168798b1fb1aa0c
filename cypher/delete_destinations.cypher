// Remove the destinations named $names (their ledger rows: delete_ledgers.cypher).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $names AS name
MATCH (d:Destination {name: name})
USING INDEX SEEK d:Destination(name)
DETACH DELETE d
