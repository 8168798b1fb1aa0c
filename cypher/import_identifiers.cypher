// Copied identifiers, upserted by key with every field, and their one BELONGS_TO (the
// person is copied first), with the type label create_identifiers gives (row.label, from a
// strictly checked type name). Re-importing the same rows changes nothing.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
USING INDEX SEEK p:Person(person_id)
MERGE (i:Identifier {key: row.key})
SET i.type = row.type, i.value = row.value, i.first_seen = row.first_seen,
    i.last_seen = row.last_seen, i.is_hub = row.is_hub, i.hub_reason = row.hub_reason,
    i.joined = row.joined, i.caption = row.caption
SET i:$(row.label)
// A hub also carries the label Hub (Neo4j Browser styles it apart), only while it is one.
FOREACH (_ IN CASE WHEN row.is_hub THEN [1] ELSE [] END | SET i:Hub)
FOREACH (_ IN CASE WHEN row.is_hub THEN [] ELSE [1] END | REMOVE i:Hub)
WITH i, p
OPTIONAL MATCH (i)-[old:BELONGS_TO]->(other:Person)
WHERE other <> p
DELETE old
WITH DISTINCT i, p
MERGE (i)-[:BELONGS_TO]->(p)
