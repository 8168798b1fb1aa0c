// Copied audit rows, upserted by their order number `seq` (their identity in a copy).
UNWIND $rows AS row
MERGE (e:Audit {seq: row.seq})
SET e.at = row.at, e.actor = row.actor, e.action = row.action, e.subject = row.subject,
    e.detail = row.detail
