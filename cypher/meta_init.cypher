// Mark the database as an identity graph, and create the node every write unit of work
// locks first (see write_lock.cypher) and the deployment's tombstone salt (random, made
// once: erasure's tombstones are salted hashes under it).
MERGE (s:Meta {name: 'schema'})
  ON CREATE SET s.value = $version
MERGE (l:Meta {name: 'write_lock'})
  ON CREATE SET l.value = 0
MERGE (t:Meta {name: 'tombstone_salt'})
  ON CREATE SET t.value = $salt
