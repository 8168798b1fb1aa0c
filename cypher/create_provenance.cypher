// Provenance rows that name an identifier created by this batch (as key, or as a link's
// other end): none can exist yet (an identifier's removal removes its rows), so no MERGE,
// whose locking seek of the pk index cost a fifth of this statement. Should one exist after
// all, the uniqueness constraint fails the batch.
// Its plan does not depend on the graph's statistics (no MATCH): no replanning as the
// graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
CREATE (:Provenance {pk: row.pk, batch_id: row.batch_id, kind: row.kind, source: row.source,
                     key: row.key, other: row.other, count: row.count, amount: row.amount,
                     at: row.at})
