// The schema version this database was written with (null on a fresh database), and
// whether the database already holds data that is not ours.
OPTIONAL MATCH (m:Meta {name: 'schema'})
RETURN m.value AS version,
       EXISTS { MATCH (n) WHERE NOT n:Meta } AS has_data
