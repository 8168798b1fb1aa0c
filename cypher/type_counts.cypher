// person_id -> identifier type -> number of identifiers of that type.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)
RETURN p.person_id AS person_id, i.type AS type, count(*) AS n
