// Merges, (loser, winner) pairs: every identifier of loser moves to the person at the end
// of its merge chain in this batch (`target`, resolved by the store, so that the rows are
// independent of each other); loser keeps redirecting to its immediate winner.
UNWIND $rows AS row
MATCH (loser:Person {person_id: row.loser})
MATCH (target:Person {person_id: row.target})
SET loser.merged_into = row.winner, loser.updated_at = $at
WITH loser, target
MATCH (loser)<-[old:BELONGS_TO]-(i:Identifier)
DELETE old
CREATE (i)-[:BELONGS_TO]->(target)
