// Move identifiers to a person (identifiers moved by a split).
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
MATCH (p:Person {person_id: row.person_id})
OPTIONAL MATCH (i)-[old:BELONGS_TO]->()
DELETE old
CREATE (i)-[:BELONGS_TO]->(p)
