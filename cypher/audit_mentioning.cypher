// The audit trail of a person or an identifier, newest first, from the index (AuditRef):
// a person's rows name it, or name an identifier that belongs to `members_of` now;
// `identifier` narrows them (or alone selects). Other filters as in audit_where.cypher.
// The index hints: on a graph with few audit rows the planner prefers a scan of every
// REFERS relationship, which grows with the whole trail.
CALL () {
  MATCH (r:AuditRef {kind: 'person', ref: $person})<-[:REFERS]-(e:Audit)
  USING INDEX r:AuditRef(kind, ref)
  RETURN e
  UNION
  MATCH (:Person {person_id: $members_of})<-[:BELONGS_TO]-(i:Identifier)
  MATCH (r:AuditRef {kind: 'identifier', ref: i.key})<-[:REFERS]-(e:Audit)
  USING INDEX r:AuditRef(kind, ref)
  WHERE $person IS NOT NULL
  RETURN e
  UNION
  MATCH (r:AuditRef {kind: 'identifier', ref: $identifier})<-[:REFERS]-(e:Audit)
  USING INDEX r:AuditRef(kind, ref)
  WHERE $person IS NULL
  RETURN e
}
WITH e
WHERE ($identifier IS NULL
       OR EXISTS { (e)-[:REFERS]->(:AuditRef {kind: 'identifier', ref: $identifier}) })
  AND ($subject IS NULL OR e.subject = $subject)
  AND ($action IS NULL OR e.action = $action)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
RETURN e.at AS at, e.actor AS actor, e.action AS action, e.subject AS subject,
       e.detail AS detail
ORDER BY e.seq DESC
LIMIT $limit
