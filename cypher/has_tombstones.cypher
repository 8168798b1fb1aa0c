// Whether anything was erased yet (from the count store: no scan); ingest skips hashing
// identifiers while nothing was.
MATCH (t:Tombstone)
RETURN count(t) > 0 AS any
