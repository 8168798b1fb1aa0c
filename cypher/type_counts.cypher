// person_id -> identifier type -> number of identifiers of that type.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
// Its plan does not depend on the graph's statistics (hinted seeks): no replanning as the
// graph grows during an ingest (a one-row read was replanned at 200-600 ms).
CYPHER replan=skip
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)
USING INDEX SEEK p:Person(person_id)
RETURN p.person_id AS person_id, i.type AS type, count(*) AS n
