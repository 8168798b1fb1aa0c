// Remove every ledger row of the destinations named $names.
// The seek is hinted: a prefix of the (destination, digest) uniqueness index.
UNWIND $names AS name
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, digest)
WHERE l.destination = name AND l.digest IS NOT NULL
DELETE l
