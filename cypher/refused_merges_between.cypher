// Refusals between two of the persons $ids, newest first (from the person_a index).
MATCH (r:RefusedMerge)
WHERE r.person_a IN $ids AND r.person_b IN $ids
RETURN r.a AS a, r.b AS b, r.person_a AS person_a, r.person_b AS person_b, r.rule AS rule,
       r.reason AS reason, r.at AS at
ORDER BY r.seq DESC
LIMIT $limit
