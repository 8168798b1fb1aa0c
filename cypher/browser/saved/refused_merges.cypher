// Refused merges, newest first
// Merges the merge rules refused (per-type limits, hubs), with the rule and the reason.
MATCH (r:RefusedMerge)
WHERE r.seq IS NOT NULL
RETURN r.at AS at, r.rule AS rule, r.reason AS reason, r.a AS a, r.b AS b,
       r.person_a AS person_a, r.person_b AS person_b
ORDER BY r.seq DESC
LIMIT 200
