// Pending reviews, highest probability first
// Pairs of records the matcher scored between review_threshold and merge_threshold; decide
// them through the API with their pair_id (POST /v1/review/{pair_id}/decision), never by
// editing the graph.
MATCH (r:Review)
WHERE r.status = 'pending' AND r.probability IS NOT NULL
OPTIONAL MATCH (a:Identifier {key: r.a})-[:BELONGS_TO]->(pa:Person)
OPTIONAL MATCH (b:Identifier {key: r.b})-[:BELONGS_TO]->(pb:Person)
RETURN r.pair_id AS pair_id, round(r.probability, 3) AS probability, r.a AS a, r.b AS b,
       pa.person_id AS person_a, pb.person_id AS person_b, r.created_at AS created_at,
       r.evidence AS evidence
ORDER BY r.probability DESC, a, b
LIMIT 200
