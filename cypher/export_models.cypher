// Every saved match model, streamed for a copy to another store.
MATCH (m:MatchModel)
RETURN m.version AS version, m.created_at AS created_at, m.body AS body
