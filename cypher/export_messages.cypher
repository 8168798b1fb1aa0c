// Every ingested message ID (replay protection), streamed for a copy to another store.
MATCH (m:Message)
RETURN m.message_id AS message_id, m.at AS at
