// Newest refusals first (`IS NOT NULL` lets the planner read the `seq` index in order).
MATCH (r:RefusedMerge)
WHERE r.seq IS NOT NULL
RETURN r.a AS a, r.b AS b, r.person_a AS person_a, r.person_b AS person_b, r.rule AS rule,
       r.reason AS reason, r.at AS at
ORDER BY r.seq DESC
LIMIT $limit
