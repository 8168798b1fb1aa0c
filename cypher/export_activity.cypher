// Every activity edge (one per identifier, target and UTC day); the target's label is its type (Product, Campaign, Case).
MATCH (i:Identifier)-[r:PURCHASED|VIEWED|EXPOSED_TO|OPENED_CASE|CLOSED_CASE]->
      (t:Product|Campaign|Case)
RETURN i.key AS key, type(r) AS kind,
       [l IN labels(t) WHERE l IN ['Product', 'Campaign', 'Case']][0] AS target_type,
       t.id AS target_id, r.day AS day, r.count AS count, r.first_at AS first_at, r.last_at AS last_at,
       r.amount AS amount
