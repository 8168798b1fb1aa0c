// Commit of generation c.gen, part one: the destination's rows seen by it and not sent yet
// are sent now.
UNWIND $rows AS c
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, seen_gen, digest)
WHERE l.destination = c.destination AND l.seen_gen = c.gen AND l.digest IS NOT NULL
  AND l.sent_gen IS NULL
SET l.sent_gen = c.gen
