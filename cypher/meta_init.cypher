// Mark the database as an identity graph, and create the node every write unit of work
// locks first (see write_lock.cypher).
MERGE (s:Meta {name: 'schema'})
  ON CREATE SET s.value = $version
MERGE (l:Meta {name: 'write_lock'})
  ON CREATE SET l.value = 0
