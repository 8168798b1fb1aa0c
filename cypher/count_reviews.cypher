// Size of the review queue, every status (from the count store).
MATCH (r:Review)
RETURN count(r) AS n
