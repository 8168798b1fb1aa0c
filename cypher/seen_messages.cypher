// Which of these message IDs were already ingested (replay protection).
UNWIND $ids AS id
MATCH (m:Message {message_id: id})
RETURN m.message_id AS message_id
