MATCH (p:Person {person_id: $person_id})
RETURN p.person_id AS person_id, p.created_at AS created_at, p.updated_at AS updated_at,
       p.merged_into AS merged_into
