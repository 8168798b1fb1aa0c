// Remember ingested message IDs: a replay of one changes nothing.
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MERGE (m:Message {message_id: row.id})
  ON CREATE SET m.at = row.at
