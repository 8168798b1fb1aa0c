// redact_audit: the audit rows whose index names one of these identifier keys.
UNWIND $keys AS key
MATCH (:AuditRef {kind: 'identifier', ref: key})<-[:REFERS]-(e:Audit)
RETURN DISTINCT e.seq AS seq, e.at AS at, e.actor AS actor, e.action AS action,
       e.subject AS subject, e.detail AS detail
