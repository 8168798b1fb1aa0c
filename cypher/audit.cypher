// The audit trail, newest first.
MATCH (e:Audit)
WHERE e.seq IS NOT NULL
RETURN e.at AS at, e.actor AS actor, e.action AS action, e.subject AS subject,
       e.detail AS detail
ORDER BY e.seq DESC
LIMIT $limit
