// Erasure's audit redaction: every audit row that may mention a key (rows of action
// person.erase never hold one), read whole: no index says which rows mention a key.
MATCH (e:Audit)
WHERE e.action <> 'person.erase' AND e.seq IS NOT NULL
RETURN e.seq AS seq, e.subject AS subject, e.detail AS detail
