// Provenance rows removed by pk (evidence taken back).
UNWIND $pks AS pk
MATCH (p:Provenance {pk: pk})
DELETE p
