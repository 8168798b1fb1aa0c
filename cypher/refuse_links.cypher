// Links whose merge a rule refused: kept as evidence, no longer stitching.
UNWIND $rows AS row
MATCH (:Identifier {key: row.a})-[l:LINKED]->(:Identifier {key: row.b})
SET l.status = 'refused'
