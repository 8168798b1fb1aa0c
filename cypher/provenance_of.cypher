// Every provenance row (any batch) of these (kind, key, other): who else gave evidence for
// a link or wrote a record.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (p:Provenance {key: row.key})
USING INDEX SEEK p:Provenance(key)
WHERE p.kind = row.kind AND p.other = row.other
RETURN p.pk AS pk, p.batch_id AS batch_id, p.kind AS kind, p.source AS source, p.key AS key,
       p.other AS other, p.count AS count, p.amount AS amount, p.at AS at
ORDER BY pk
