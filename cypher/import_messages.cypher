// Copied message IDs (replay protection survives the move); upserted by ID.
UNWIND $rows AS row
MERGE (m:Message {message_id: row.message_id})
SET m.at = row.at
