UNWIND $ids AS id
MATCH (p:Person {person_id: id})
SET p.updated_at = $at
