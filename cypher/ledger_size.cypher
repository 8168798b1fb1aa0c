// How many rows $destination holds on its platform (sent, not removed since).
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, digest)
WHERE l.destination = $destination AND l.digest IS NOT NULL AND l.sent_gen IS NOT NULL
RETURN count(l) AS n
