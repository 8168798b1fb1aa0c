// Erasure: remembered message IDs starting with one of $prefixes (a record's message ID
// names its record ID: `{source}:{record_id}:{digest}`).
UNWIND $prefixes AS prefix
MATCH (m:Message)
USING INDEX SEEK m:Message(message_id)
WHERE m.message_id STARTS WITH prefix
DELETE m
