// Delete every node of the identity graph, 1,000 per inner transaction, after
// `reset_relationships` took their relationships (DETACH: any left, e.g. from a Meta node).
// Run in an auto-commit transaction: a big graph does not have to fit in one transaction's
// memory. Meta (schema version, write lock) and the schema itself are kept.
MATCH (n)
WHERE n:Identifier OR n:Person OR n:Record OR n:RefusedMerge OR n:Message OR n:Product
   OR n:Campaign OR n:Case OR n:Review OR n:Audit OR n:AuditRef OR n:MatchModel OR n:Tombstone
   OR n:Purpose OR n:Segment OR n:Destination OR n:LedgerRow OR n:ApiKey
   OR n:Provenance OR n:HubState
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF 1000 ROWS
