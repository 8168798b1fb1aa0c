UNWIND $rows AS row
CREATE (:Person {person_id: row.person_id, created_at: row.created_at,
                 updated_at: row.updated_at, caption: row.caption})
