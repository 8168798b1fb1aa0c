// Erasure: ledger rows of the persons $ids never sent. Sent rows stay until the next
// delta's `remove` side has told the platform to forget them (ledger_drop.cypher).
UNWIND $ids AS id
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(person_id)
WHERE l.person_id = id AND l.sent_gen IS NULL
DELETE l
