// Erasure: ledger rows of a person on one destination never sent. Sent rows stay until
// the next delta's `remove` side has told the platform to forget them (ledger_drop.cypher).
UNWIND $rows AS row
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(person_id)
WHERE l.person_id = row.person_id AND l.destination = row.destination AND l.sent_gen IS NULL
DELETE l
