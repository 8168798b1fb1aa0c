// Review-queue rows of one status in a probability range, highest first.
MATCH (r:Review)
WHERE r.status = $status
  AND r.probability >= $min_probability AND r.probability <= $max_probability
RETURN r.a AS a, r.b AS b, r.probability AS probability, r.evidence AS evidence,
       r.fingerprint AS fingerprint, r.status AS status, r.created_at AS created_at,
       r.decided_at AS decided_at, r.decided_by AS decided_by, r.comment AS comment
ORDER BY r.probability DESC, r.a, r.b
SKIP $offset
LIMIT $limit
