// Every lineage edge between persons, streamed for a copy to another store.
MATCH (f:Person)-[r:MERGED_INTO|SPLIT_FROM]->(t:Person)
RETURN f.person_id AS from_id, t.person_id AS to_id, type(r) AS kind, r.at AS at,
       r.reason AS reason
