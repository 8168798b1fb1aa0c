// The stored segments among $names, in name order.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $names AS name
MATCH (s:Segment {name: name})
USING INDEX SEEK s:Segment(name)
RETURN s.name AS name, s.body AS body, s.created_at AS created_at, s.updated_at AS updated_at
ORDER BY name
