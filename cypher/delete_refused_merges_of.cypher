// Erasure: refused merges with an end among $keys.
UNWIND $keys AS key
CALL (key) {
  MATCH (r:RefusedMerge)
  USING INDEX SEEK r:RefusedMerge(a)
  WHERE r.a = key
  RETURN r
  UNION
  MATCH (r:RefusedMerge)
  USING INDEX SEEK r:RefusedMerge(b)
  WHERE r.b = key
  RETURN r
}
DELETE r
