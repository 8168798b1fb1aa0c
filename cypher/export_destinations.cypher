// Every destination.
MATCH (d:Destination)
RETURN d.name AS name, d.platform AS platform, d.segment AS segment,
       d.created_at AS created_at, d.gen AS gen, d.last_export_at AS last_export_at,
       d.lease AS lease, d.lease_at AS lease_at
