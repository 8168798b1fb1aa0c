// Probabilistic links with their evidence
// Links written by the matcher (weight = match probability, rounded), weakest first;
// evidence is JSON: agreement levels, per-field contributions, prior and match weight, the
// compared values.
MATCH (a:Identifier)-[l:LINKED]->(b:Identifier)
WHERE l.kind = 'probabilistic'
RETURN round(l.weight, 3) AS probability, a.key AS from_key, b.key AS to_key,
       l.status AS status, l.sources AS sources, l.count AS count, l.evidence AS evidence
ORDER BY l.weight, from_key, to_key
LIMIT 200
