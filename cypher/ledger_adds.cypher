// Rows generation $gen adds to $destination (seen by it, never sent), digest order after
// $after (keyset pages), from the (destination, seen_gen, digest) index in its order.
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, seen_gen, digest)
WHERE l.destination = $destination AND l.seen_gen = $gen AND l.digest > $after
  AND l.sent_gen IS NULL
RETURN l.destination AS destination, l.digest AS digest, l.row AS row,
       l.person_id AS person_id, l.seen_gen AS gen
ORDER BY digest
LIMIT $limit
