// Every segment.
MATCH (s:Segment)
RETURN s.name AS name, s.body AS body, s.created_at AS created_at, s.updated_at AS updated_at
