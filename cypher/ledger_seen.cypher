// Ledger rows seen by export generation row.gen, upserted by (destination, digest): a new
// one is unsent (no sent_gen); a stored one keeps its sent_gen, its row and person replaced.
UNWIND $rows AS row
MERGE (l:LedgerRow {destination: row.destination, digest: row.digest})
SET l.row = row.row, l.person_id = row.person_id, l.seen_gen = row.gen
