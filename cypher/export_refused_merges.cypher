// Every refused merge with its order (`seq`), streamed for a copy to another store.
MATCH (r:RefusedMerge)
RETURN r.seq AS seq, r.a AS a, r.b AS b, r.person_a AS person_a, r.person_b AS person_b,
       r.rule AS rule, r.reason AS reason, r.at AS at
ORDER BY seq
