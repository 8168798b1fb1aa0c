// Index entries of these identifier keys that no audit row refers to any more (after a
// redaction): removed, so that no node keeps an erased key.
UNWIND $keys AS key
MATCH (r:AuditRef {kind: 'identifier', ref: key})
WHERE NOT EXISTS { (r)<-[:REFERS]-() }
DELETE r
