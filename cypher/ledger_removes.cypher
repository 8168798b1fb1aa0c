// Rows generation $gen removes from $destination (sent before, not seen by it), digest
// order after $after (keyset pages), from the (destination, digest) index in its order.
MATCH (l:LedgerRow)
USING INDEX SEEK l:LedgerRow(destination, digest)
WHERE l.destination = $destination AND l.digest > $after AND l.sent_gen IS NOT NULL
  AND l.seen_gen < $gen
RETURN l.destination AS destination, l.digest AS digest, l.row AS row,
       l.person_id AS person_id, l.seen_gen AS gen
ORDER BY digest
LIMIT $limit
