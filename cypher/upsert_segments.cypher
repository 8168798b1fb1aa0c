// Segments upserted by name (saved, or copied): a stored one keeps its created_at.
UNWIND $rows AS row
MERGE (s:Segment {name: row.name})
  ON CREATE SET s.created_at = row.created_at
SET s.body = row.body, s.updated_at = row.updated_at
