// The deployment's tombstone salt (hex text), made with the schema (meta_init.cypher).
MATCH (m:Meta {name: 'tombstone_salt'})
RETURN m.value AS salt
