// The newest saved match model.
MATCH (m:MatchModel)
WHERE m.created_at IS NOT NULL
RETURN m.version AS version, m.body AS body
ORDER BY m.created_at DESC, m.version DESC
LIMIT 1
