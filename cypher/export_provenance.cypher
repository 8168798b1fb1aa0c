// Every provenance row, streamed for a copy to another store.
MATCH (p:Provenance)
RETURN p.pk AS pk, p.batch_id AS batch_id, p.kind AS kind, p.source AS source, p.key AS key,
       p.other AS other, p.count AS count, p.amount AS amount, p.at AS at
