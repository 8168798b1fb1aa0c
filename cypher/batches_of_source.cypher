// The totals of the batches with a provenance row of one source, newest first.
MATCH (s:Provenance {source: $source})
WITH DISTINCT s.batch_id AS id
MATCH (p:Provenance {batch_id: id})
WITH p.batch_id AS batch_id, min(p.at) AS at, collect(DISTINCT p.source) AS sources,
     sum(CASE WHEN p.kind = 'link' THEN 1 ELSE 0 END) AS links,
     sum(CASE WHEN p.kind = 'link' THEN p.count ELSE 0 END) AS link_evidence,
     sum(CASE WHEN p.kind = 'record' THEN 1 ELSE 0 END) AS records,
     sum(CASE WHEN p.kind = 'activity' THEN p.count ELSE 0 END) AS activity,
     sum(CASE WHEN p.kind = 'activity' THEN p.amount ELSE 0.0 END) AS amount,
     sum(CASE WHEN p.kind = 'consent' THEN 1 ELSE 0 END) AS consent,
     sum(CASE WHEN p.kind = 'identifier' THEN 1 ELSE 0 END) AS identifiers
RETURN batch_id, at, sources, links, link_evidence, records, activity, amount, consent,
       identifiers
ORDER BY at DESC, batch_id DESC
LIMIT $limit
