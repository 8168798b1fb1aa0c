// Which of these message IDs were already ingested (replay protection).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks): no replanning as the
// graph grows during an ingest (a one-row read was replanned at 200-600 ms).
CYPHER replan=skip
UNWIND $ids AS id
MATCH (m:Message {message_id: id})
USING INDEX SEEK m:Message(message_id)
RETURN m.message_id AS message_id
