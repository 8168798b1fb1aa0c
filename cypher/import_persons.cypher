// Copied persons, merged ones included; upserted by person ID.
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
SET p.created_at = row.created_at, p.updated_at = row.updated_at,
    p.merged_into = row.merged_into, p.caption = row.caption
