// The tombstone digests among $digests (erased identifiers).
UNWIND $digests AS digest
MATCH (t:Tombstone {digest: digest})
RETURN t.digest AS digest
