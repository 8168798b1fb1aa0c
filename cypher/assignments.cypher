// Every (identifier key, person ID), streamed.
MATCH (i:Identifier)-[:BELONGS_TO]->(p:Person)
RETURN i.key AS key, p.person_id AS person_id
