// The audit trail of one subject, newest first.
MATCH (e:Audit {subject: $subject})
USING INDEX SEEK e:Audit(subject)
RETURN e.at AS at, e.actor AS actor, e.action AS action, e.subject AS subject,
       e.detail AS detail
ORDER BY e.seq DESC
LIMIT $limit
