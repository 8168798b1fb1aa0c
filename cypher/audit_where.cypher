// The audit trail newest first, filtered by action and time (each filter off when its
// parameter is null) and optionally by subject.
MATCH (e:Audit)
WHERE e.seq IS NOT NULL
  AND ($subject IS NULL OR e.subject = $subject)
  AND ($action IS NULL OR e.action = $action)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
RETURN e.at AS at, e.actor AS actor, e.action AS action, e.subject AS subject,
       e.detail AS detail
ORDER BY e.seq DESC
LIMIT $limit
