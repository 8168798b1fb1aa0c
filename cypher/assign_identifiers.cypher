// Move identifiers to a person (identifiers moved by a split).
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
USING INDEX SEEK i:Identifier(key)
MATCH (p:Person {person_id: row.person_id})
USING INDEX SEEK p:Person(person_id)
OPTIONAL MATCH (i)-[old:BELONGS_TO]->()
DELETE old
CREATE (i)-[:BELONGS_TO]->(p)
