// Person by identifier
// $type: an identifier type (email, phone, cookie, device_id, loyalty_id, crm_id, ...);
// $value: its normalized value, as stored (emails lower-case, phones E.164, ad IDs upper-case).
MATCH (i:Identifier {key: $type + ':' + $value})-[:BELONGS_TO]->(p:Person)
MATCH (p)<-[b:BELONGS_TO]-(member:Identifier)
RETURN p, b, member, p.person_id AS person_id, member.type AS type, member.value AS value
ORDER BY type, value
