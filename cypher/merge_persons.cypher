// Merges, (loser, winner) pairs: every identifier of loser moves to the person at the end
// of its merge chain in this batch (`target`, resolved by the core, so that the rows are
// independent of each other); loser keeps redirecting to its immediate winner.
// Index seeks are hinted: the planner, sizing a batch by its list, has chosen a
// whole index scan per row for large ones (quadratic).
// Its plan does not depend on the graph's statistics (hinted seeks, unique keys): no
// replanning as the graph grows during an ingest (~100 ms of planning each time).
CYPHER replan=skip
UNWIND $rows AS row
MATCH (loser:Person {person_id: row.loser})
USING INDEX SEEK loser:Person(person_id)
MATCH (target:Person {person_id: row.target})
USING INDEX SEEK target:Person(person_id)
SET loser.merged_into = row.winner, loser.updated_at = $at
WITH loser, target
MATCH (loser)<-[old:BELONGS_TO]-(i:Identifier)
DELETE old
CREATE (i)-[:BELONGS_TO]->(target)
