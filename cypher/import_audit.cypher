// Copied (or redacted) audit rows, upserted by their order number `seq` (their identity in
// a copy); their index entries (REFERS, see add_audit.cypher) rebuilt from `refs`.
UNWIND $rows AS row
MERGE (e:Audit {seq: row.seq})
SET e.at = row.at, e.actor = row.actor, e.action = row.action, e.subject = row.subject,
    e.detail = row.detail
WITH e, row
CALL (e) {
  MATCH (e)-[old:REFERS]->(:AuditRef)
  DELETE old
}
WITH e, row
UNWIND row.refs AS ref
MERGE (r:AuditRef {kind: ref.kind, ref: ref.ref})
CREATE (e)-[:REFERS]->(r)
