// Every stored segment, in name order (read from the uniqueness constraint's index).
MATCH (s:Segment)
WHERE s.name IS NOT NULL
RETURN s.name AS name, s.body AS body, s.created_at AS created_at, s.updated_at AS updated_at
ORDER BY name
