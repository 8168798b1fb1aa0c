// Which of these message IDs were already ingested (replay protection).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $ids AS id
MATCH (m:Message {message_id: id})
USING INDEX SEEK m:Message(message_id)
RETURN m.message_id AS message_id
