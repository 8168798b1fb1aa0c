// Copied provenance rows, upserted by identity with every field (re-importing changes
// nothing).
UNWIND $rows AS row
MERGE (p:Provenance {pk: row.pk})
SET p.batch_id = row.batch_id, p.kind = row.kind, p.source = row.source, p.key = row.key,
    p.other = row.other, p.count = row.count, p.amount = row.amount, p.at = row.at
