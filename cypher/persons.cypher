// Person rows among $ids, merged ones included.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})
RETURN p.person_id AS person_id, p.created_at AS created_at, p.updated_at AS updated_at,
       p.merged_into AS merged_into
