// The whole audit trail with its order (`seq`), streamed for a copy to another store.
MATCH (e:Audit)
RETURN e.seq AS seq, e.at AS at, e.actor AS actor, e.action AS action,
       e.subject AS subject, e.detail AS detail
ORDER BY seq
