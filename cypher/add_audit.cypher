// The audit trail: who did what to which subject; `seq` as for refused merges. Each row's
// `refs` (the person IDs and identifier keys its detail lists, identity_graph.audit) become
// (e)-[:REFERS]->(:AuditRef {kind, ref}): the index of "audit by person / by identifier".
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
CREATE (e:Audit {at: row.at, actor: row.actor, action: row.action, subject: row.subject,
                 detail: row.detail, seq: row.seq})
WITH e, row
UNWIND row.refs AS ref
MERGE (r:AuditRef {kind: ref.kind, ref: ref.ref})
CREATE (e)-[:REFERS]->(r)
