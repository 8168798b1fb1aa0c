// Every export ledger row.
MATCH (l:LedgerRow)
RETURN l.destination AS destination, l.digest AS digest, l.row AS row,
       l.person_id AS person_id, l.sent_gen AS sent_gen, l.seen_gen AS seen_gen
