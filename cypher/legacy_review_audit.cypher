// redact_audit: review decisions recorded before subjects were readable (their subject is
// the opaque pair ID, their detail names no keys, the index holds nothing of them).
MATCH (e:Audit)
USING INDEX e:Audit(action)
WHERE e.action IN ['review.approve', 'review.reject'] AND NOT e.subject CONTAINS ' <-> '
RETURN e.seq AS seq, e.at AS at, e.actor AS actor, e.action AS action,
       e.subject AS subject, e.detail AS detail
