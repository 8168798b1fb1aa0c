// Remove persons with their lineage edges (their identifiers are gone or moved already).
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
DETACH DELETE p
