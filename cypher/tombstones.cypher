// The tombstone digests among $digests (erased identifiers).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $digests AS digest
MATCH (t:Tombstone {digest: digest})
USING INDEX SEEK t:Tombstone(digest)
RETURN t.digest AS digest
