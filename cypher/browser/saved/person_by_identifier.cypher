// Person by identifier
// $type: an identifier type (email, phone, cookie, device_id, loyalty_id, crm_id, ...);
// $value: its normalized value, as stored (emails lower-case, phones E.164, ad IDs upper-case).
// A table: the person and every identifier of it, hubs marked.
MATCH (i:Identifier {key: $type + ':' + $value})-[:BELONGS_TO]->(p:Person)
MATCH (p)<-[:BELONGS_TO]-(member:Identifier)
RETURN p.person_id AS person_id, member.type AS type, member.value AS value,
       member.is_hub AS hub, member.first_seen AS first_seen, member.last_seen AS last_seen
ORDER BY type, value
