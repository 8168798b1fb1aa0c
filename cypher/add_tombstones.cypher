// Tombstones of erased identifiers (a salted hash of the key), added if absent.
UNWIND $rows AS row
MERGE (t:Tombstone {digest: row.digest})
  ON CREATE SET t.at = row.at
