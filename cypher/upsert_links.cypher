// Link evidence between stored identifiers, one row per pair (a < b; rows of one pair are
// folded by the store): repeated evidence raises count, the strongest evidence sets weight
// and kind, sources accumulate; a status other than 'active' (a steward's cannot_link)
// replaces the stored one.
UNWIND $rows AS row
MATCH (a:Identifier {key: row.a})
MATCH (b:Identifier {key: row.b})
MERGE (a)-[l:LINKED]->(b)
  ON CREATE SET l.weight = row.weight, l.kind = row.kind, l.sources = row.sources,
                l.evidence = row.evidence, l.count = row.count,
                l.first_seen = row.first_seen, l.last_seen = row.last_seen,
                l.status = row.status
  ON MATCH SET l.status = CASE WHEN row.status <> 'active' THEN row.status ELSE l.status END,
               l.kind = CASE WHEN row.weight >= l.weight THEN row.kind ELSE l.kind END,
               l.weight = CASE WHEN row.weight > l.weight THEN row.weight ELSE l.weight END,
               l.evidence = CASE WHEN row.evidence <> '{}' THEN row.evidence
                                 ELSE l.evidence END,
               l.sources = l.sources + [s IN row.sources WHERE NOT s IN l.sources],
               l.count = l.count + row.count,
               l.first_seen = CASE WHEN row.first_seen < l.first_seen
                                   THEN row.first_seen ELSE l.first_seen END,
               l.last_seen = CASE WHEN row.last_seen > l.last_seen
                                  THEN row.last_seen ELSE l.last_seen END
