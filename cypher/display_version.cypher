// The version of Neo4j Browser's display properties (captions, pair IDs, the Hub label:
// stores/neo4j/browser.py) this database's nodes carry; null before any.
OPTIONAL MATCH (m:Meta {name: 'display'})
RETURN m.value AS version
