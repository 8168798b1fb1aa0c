// Review-queue rows (any status) of exactly these pairs.
UNWIND $rows AS row
MATCH (r:Review {a: row.a, b: row.b})
RETURN r.a AS a, r.b AS b, r.probability AS probability, r.evidence AS evidence,
       r.fingerprint AS fingerprint, r.status AS status, r.created_at AS created_at,
       r.decided_at AS decided_at, r.decided_by AS decided_by, r.comment AS comment
