// Every person, merged ones included (they keep redirecting), streamed for a copy.
MATCH (p:Person)
RETURN p.person_id AS person_id, p.created_at AS created_at, p.updated_at AS updated_at,
       p.merged_into AS merged_into
