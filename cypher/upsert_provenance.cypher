// Provenance rows (which batch and source wrote which evidence), upserted by identity
// (`pk`): counts and amounts add up, `at` is the earliest.
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MERGE (p:Provenance {pk: row.pk})
  ON CREATE SET p.batch_id = row.batch_id, p.kind = row.kind, p.source = row.source,
                p.key = row.key, p.other = row.other, p.count = row.count,
                p.amount = row.amount, p.at = row.at
  ON MATCH SET p.count = p.count + row.count, p.amount = p.amount + row.amount,
               p.at = CASE WHEN row.at < p.at THEN row.at ELSE p.at END
