// Links among each person's identifiers, as one pattern from the person back to itself:
// one expansion per identifier and link, linear in the person's links (two separate
// MATCHes let the planner join every pair of the person's identifiers). One row per person,
// its links collected as lists: a person of 10,000 links is one Bolt record, not 10,000
// (per-record decoding in the driver cost more than the query itself); the store sorts.
// The planner sizes a batch by its list: for a large one it has chosen a whole index
// scan per row (quadratic); the hint keeps one seek per row at any batch size.
UNWIND $ids AS id
MATCH (p:Person {person_id: id})<-[:BELONGS_TO]-(i:Identifier)-[l:LINKED]->(j:Identifier)
      -[:BELONGS_TO]->(p)
USING INDEX SEEK p:Person(person_id)
RETURN id AS person_id,
       collect([i.key, j.key, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen,
                l.last_seen, l.status]) AS links
