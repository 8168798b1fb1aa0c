// Identifier types in the graph
// How many identifiers carry each type label (the colours of the style file).
MATCH (i:Identifier)
RETURN i.type AS type, [l IN labels(i) WHERE l <> 'Identifier'] AS labels, count(*) AS identifiers
ORDER BY identifiers DESC
