// Erasure: review-queue pairs with an end among $keys (their evidence holds field values).
// `a` seeks the (a, b) uniqueness index by its prefix, `b` its own index.
UNWIND $keys AS key
CALL (key) {
  MATCH (r:Review)
  USING INDEX SEEK r:Review(a, b)
  WHERE r.a = key AND r.b IS NOT NULL
  RETURN r
  UNION
  MATCH (r:Review)
  USING INDEX SEEK r:Review(b)
  WHERE r.b = key
  RETURN r
}
DELETE r
