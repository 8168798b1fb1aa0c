// Every provenance row naming one of these keys (as key, or as a link's other end) and
// their hub decisions: an identifier removed (or erased) leaves no key behind.
UNWIND $keys AS key
CALL (key) {
  MATCH (p:Provenance {key: key})
  RETURN p AS n
  UNION
  MATCH (p:Provenance {other: key})
  WHERE p.kind = 'link'
  RETURN p AS n
  UNION
  MATCH (h:HubState {key: key})
  RETURN h AS n
}
DELETE n
