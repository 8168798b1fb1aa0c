// Why two identifiers are linked
// $a, $b: two identifier keys (type:normalized_value). The shortest path of active LINKED
// edges between them, each with its weight (rounded), kind, sources, count and evidence
// (JSON: per-field contributions of a probabilistic match). No row: they are not connected
// by active links.
MATCH (a:Identifier {key: $a})
MATCH (b:Identifier {key: $b})
MATCH path = shortestPath((a)-[:LINKED*..20]-(b))
WHERE all(l IN relationships(path) WHERE l.status = 'active')
RETURN length(path) AS hops,
       [l IN relationships(path) | {a: startNode(l).key, b: endNode(l).key,
        weight: round(l.weight, 3), kind: l.kind, sources: l.sources, count: l.count,
        evidence: l.evidence}] AS links,
       path
