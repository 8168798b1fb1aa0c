// One person's whole profile in one round trip, named by a person ID ($person_id) or by
// one of its identifiers ($key); the other parameter is null. Every list is in the order
// of the query of the same rows read alone (persons, lineage, members, records, activity,
// consent), which the profile is built from either way.
// The MERGED_INTO chain is followed through edges that agree with each person's
// `merged_into`; `complete` is false when some chain cannot be (a store without lineage
// edges for old merges): the profile is then read query by query.
// The hints keep one seek each: given a null parameter, the planner has chosen to read
// the whole index (and match nothing).
CALL () {
  MATCH (i:Identifier {key: $key})-[:BELONGS_TO]->(p:Person)
  USING INDEX SEEK i:Identifier(key)
  RETURN p
  UNION
  MATCH (p:Person {person_id: $person_id})
  USING INDEX SEEK p:Person(person_id)
  RETURN p
}
WITH p AS start
LIMIT 1
OPTIONAL MATCH chain = (start)-[:MERGED_INTO*0..64]->(now:Person)
  WHERE now.merged_into IS NULL
    AND all(r IN relationships(chain) WHERE startNode(r).merged_into = endNode(r).person_id)
WITH start, chain, now
LIMIT 1
WITH start, now, CASE WHEN chain IS NULL THEN [start] ELSE nodes(chain) END AS steps
CALL (steps) {
  UNWIND steps AS n
  // No label on `t`, for the reason below.
  MATCH (n)-[e:MERGED_INTO]->(t)
  WHERE t.person_id = n.merged_into
  WITH n, t, e
  ORDER BY e.at, n.person_id, t.person_id
  RETURN collect({from_id: n.person_id, to_id: t.person_id, kind: 'MERGED_INTO', at: e.at,
                  reason: e.reason}) AS merges
}
CALL (now) {
  MATCH (now)-[r:MERGED_INTO|SPLIT_FROM]-(:Person)
  WITH DISTINCT r
  WITH r, startNode(r).person_id AS from_id, endNode(r).person_id AS to_id, type(r) AS kind
  ORDER BY r.at, from_id, to_id, kind
  RETURN collect({from_id: from_id, to_id: to_id, kind: kind, at: r.at, reason: r.reason})
         AS lineage
}
CALL (now) {
  MATCH (piece:Person)-[:SPLIT_FROM]->(now)
  WITH DISTINCT piece
  OPTIONAL MATCH moved = (piece)-[:MERGED_INTO*0..64]->(current:Person)
    WHERE current.merged_into IS NULL
      AND all(r IN relationships(moved) WHERE startNode(r).merged_into = endNode(r).person_id)
  WITH piece, head(collect(current.person_id)) AS current_id
  RETURN collect([piece.person_id, current_id]) AS pieces
}
// Below, no labels on the nodes reached from `now` (only identifiers belong to a person,
// only records, purposes hang off those edges): with a label, on a person of many
// identifiers the planner may read a whole index in the ORDER BY's order instead.
CALL (now) {
  MATCH (now)<-[:BELONGS_TO]-(i)
  WITH i
  ORDER BY i.type, i.value
  RETURN collect([i.key, i.type, i.value, i.first_seen, i.last_seen, i.is_hub, i.hub_reason,
                  i.joined]) AS members
}
CALL (now) {
  MATCH (now)<-[:BELONGS_TO]-(i)-[:HAS_RECORD]->(r)
  WITH i, r
  ORDER BY r.observed_at DESC, i.key, r.source, r.record_id
  RETURN collect({source: r.source, record_id: r.record_id, key: i.key,
                  attributes: r.attributes, observed_at: r.observed_at}) AS records
}
CALL (now) {
  MATCH (now)<-[:BELONGS_TO]-(i)
        -[r:PURCHASED|VIEWED|EXPOSED_TO|OPENED_CASE|CLOSED_CASE]->(t:Product|Campaign|Case)
  WITH i.key AS key, type(r) AS kind,
       [l IN labels(t) WHERE l IN ['Product', 'Campaign', 'Case']][0] AS target_type,
       t.id AS target_id, r
  ORDER BY key, kind, target_type, target_id, r.day
  RETURN collect({key: key, kind: kind, target_type: target_type, target_id: target_id,
                  day: r.day, count: r.count, first_at: r.first_at, last_at: r.last_at,
                  amount: r.amount}) AS activity
}
CALL (now) {
  MATCH (now)<-[:BELONGS_TO]-(i)-[c:CONSENT]->(u)
  WITH i, c, u
  ORDER BY i.key, u.name
  RETURN collect({key: i.key, purpose: u.name, granted: c.granted, source: c.source,
                  at: c.at}) AS consent
}
RETURN now IS NOT NULL AND all(p IN pieces WHERE p[1] IS NOT NULL) AS complete,
       [n IN steps | {person_id: n.person_id, created_at: n.created_at,
                      updated_at: n.updated_at, merged_into: n.merged_into}] AS chain,
       merges, lineage, pieces, members, records, activity, consent
