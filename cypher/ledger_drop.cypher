// Commit of generation c.gen, part two: the destination's rows it did not see (removed
// from the platform, or left over by an abandoned generation) are forgotten.
UNWIND $rows AS c
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, seen_gen, digest)
WHERE l.destination = c.destination AND l.seen_gen < c.gen AND l.digest IS NOT NULL
DELETE l
