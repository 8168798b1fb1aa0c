// Lineage of a person ID
// $person_id: any person ID, current or old. Every person related to it through MERGED_INTO
// (old -> the person it merged into) and SPLIT_FROM (piece -> the person it split from);
// current = still holds identifiers (an old ID redirects to the current person(s)).
MATCH path = (start:Person {person_id: $person_id})-[:MERGED_INTO|SPLIT_FROM*0..10]-(p:Person)
RETURN p.person_id AS person_id,
       EXISTS { (p)<-[:BELONGS_TO]-(:Identifier) } AS current,
       [r IN relationships(path) | type(r) + ' at ' + r.at + ': ' + coalesce(r.reason, '')]
         AS steps,
       path
ORDER BY length(path), person_id
