// The first half of `reset`: every relationship of the identity graph, 10,000 per inner
// transaction. Deleting nodes with their relationships (DETACH DELETE) bounds the nodes per
// transaction but not the relationships: a product viewed by 100,000 persons brought
// 100,000 of them into one inner transaction and outgrew a 1 GiB server's transaction memory.
// Each relationship is matched once, from its start node. Auto-commit transaction only.
MATCH (n)-[r]->()
WHERE n:Identifier OR n:Person OR n:Record OR n:RefusedMerge OR n:Message OR n:Product
   OR n:Campaign OR n:Case OR n:Review OR n:Audit OR n:AuditRef OR n:MatchModel OR n:Tombstone
   OR n:Purpose OR n:Segment OR n:Destination OR n:LedgerRow OR n:ApiKey
   OR n:Provenance OR n:HubState
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF 10000 ROWS
