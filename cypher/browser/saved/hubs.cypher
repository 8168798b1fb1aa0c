// Hubs with their reasons
// Identifiers flagged as hubs (a shared tablet, a call-centre cookie): their links stay in the
// graph but no longer stitch persons. With the persons their links touch.
MATCH (h:Identifier)
WHERE h.is_hub = true
OPTIONAL MATCH (h)-[:LINKED]-(:Identifier)-[:BELONGS_TO]->(p:Person)
WITH h, collect(DISTINCT p.person_id) AS persons
RETURN h, h.key AS hub, h.hub_reason AS reason, size(persons) AS persons_touched,
       persons[..20] AS some_persons
ORDER BY persons_touched DESC, hub
