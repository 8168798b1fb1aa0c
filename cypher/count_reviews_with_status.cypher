// Size of the review queue in one status (`probability IS NOT NULL` lets the planner use
// the (status, probability) index; every row has a probability).
MATCH (r:Review)
WHERE r.status = $status AND r.probability IS NOT NULL
RETURN count(r) AS n
