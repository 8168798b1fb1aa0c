// Remove the segments named $names.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $names AS name
MATCH (s:Segment {name: name})
USING INDEX SEEK s:Segment(name)
DETACH DELETE s
