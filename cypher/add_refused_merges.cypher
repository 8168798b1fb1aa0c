// `seq` orders refusals newest first: unit of work number * 1,000,000 + position.
UNWIND $rows AS row
CREATE (:RefusedMerge {a: row.a, b: row.b, person_a: row.person_a, person_b: row.person_b,
                       rule: row.rule, reason: row.reason, at: row.at, seq: row.seq})
