// Hubs with the persons they would join
// Identifiers flagged as hubs (a shared tablet, a call-centre cookie; label :Hub): their
// links stay in the graph but no longer stitch persons. `persons` are the persons its links
// would have joined when it was flagged, its own first, as current IDs (a merged one
// resolves to the person it merged into): `persons_touched` is the count its reason names,
// fewer only if some of them have merged since. The graph: the hub, its links to those
// persons' identifiers, and the persons.
MATCH (h:Hub)-[:BELONGS_TO]->(own:Person)
UNWIND [own.person_id] + coalesce(h.joined, []) AS joined_id
MATCH (:Person {person_id: joined_id})-[:MERGED_INTO*0..20]->(p:Person)
WHERE NOT EXISTS { (p)-[:MERGED_INTO]->(:Person) }
WITH h, collect(DISTINCT p) AS persons
OPTIONAL MATCH (h)-[l:LINKED]-(i:Identifier)-[b:BELONGS_TO]->(q:Person)
WHERE q IN persons
WITH h, persons, collect(l) AS links, collect(i) AS identifiers, collect(b) AS members
RETURN h.key AS hub, h.hub_reason AS reason, size(persons) AS persons_touched,
       [p IN persons | p.person_id] AS person_ids, COUNT { (h)-[:LINKED]-() } AS links_kept,
       h, links, identifiers, members, persons
ORDER BY persons_touched DESC, hub
