// Copied export ledger rows, upserted by (destination, digest) with every value replaced.
UNWIND $rows AS row
MERGE (l:LedgerRow {destination: row.destination, digest: row.digest})
SET l.row = row.row, l.person_id = row.person_id, l.sent_gen = row.sent_gen,
    l.seen_gen = row.seen_gen
