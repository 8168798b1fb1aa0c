// Destinations replaced whole by name (saved, leased, committed, or copied).
UNWIND $rows AS row
MERGE (d:Destination {name: row.name})
SET d.platform = row.platform, d.segment = row.segment, d.created_at = row.created_at,
    d.gen = row.gen, d.last_export_at = row.last_export_at, d.lease = row.lease,
    d.lease_at = row.lease_at
