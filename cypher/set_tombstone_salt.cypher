// A copy between stores carries the source's salt, so that its tombstones keep matching.
MERGE (m:Meta {name: 'tombstone_salt'})
SET m.value = $salt
