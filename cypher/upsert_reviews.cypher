// Review-queue rows, replaced whole by pair (a < b): a decision, a refresh or a copy.
UNWIND $rows AS row
MERGE (r:Review {a: row.a, b: row.b})
SET r.probability = row.probability, r.evidence = row.evidence,
    r.fingerprint = row.fingerprint, r.status = row.status, r.created_at = row.created_at,
    r.decided_at = row.decided_at, r.decided_by = row.decided_by, r.comment = row.comment,
    r.pair_id = row.pair_id
