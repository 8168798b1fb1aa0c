// The destinations among $names, in name order.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $names AS name
MATCH (d:Destination {name: name})
USING INDEX SEEK d:Destination(name)
RETURN d.name AS name, d.platform AS platform, d.segment AS segment,
       d.created_at AS created_at, d.gen AS gen, d.last_export_at AS last_export_at,
       d.lease AS lease, d.lease_at AS lease_at
ORDER BY name
