// Review-queue rows, replaced whole by pair (a < b): a property set to null is removed.
UNWIND $rows AS row
MERGE (r:Review {a: row.a, b: row.b})
SET r += row
