// Copied refused merges, upserted by their order number `seq` (their identity in a copy).
UNWIND $rows AS row
MERGE (r:RefusedMerge {seq: row.seq})
SET r.a = row.a, r.b = row.b, r.person_a = row.person_a, r.person_b = row.person_b,
    r.rule = row.rule, r.reason = row.reason, r.at = row.at
