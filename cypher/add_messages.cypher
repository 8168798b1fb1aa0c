// Remember ingested message IDs: a replay of one changes nothing.
UNWIND $rows AS row
MERGE (m:Message {message_id: row.id})
  ON CREATE SET m.at = row.at
