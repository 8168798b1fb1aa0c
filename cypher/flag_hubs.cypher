UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.is_hub = true, i.hub_reason = row.reason
