// An older identity graph upgraded in place (its schema statements applied first).
MATCH (s:Meta {name: 'schema'})
SET s.value = $version
