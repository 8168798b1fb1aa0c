// A keyset page of one batch's provenance rows: a range of the pk index (a batch's rows
// share the prefix of their pk), after the last pk of the previous page.
// The seek is hinted: on some graphs' statistics the planner read the whole pk index in
// order instead (ORDER BY ... LIMIT), a scan of every batch's rows.
MATCH (p:Provenance)
USING INDEX SEEK p:Provenance(pk)
WHERE p.pk > $after AND p.pk < $prefix_end AND p.batch_id = $batch_id
RETURN p.pk AS pk, p.batch_id AS batch_id, p.kind AS kind, p.source AS source, p.key AS key,
       p.other AS other, p.count AS count, p.amount AS amount, p.at AS at
ORDER BY p.pk
LIMIT $limit
