// Every consent signal with its identifier and purpose.
MATCH (i:Identifier)-[c:CONSENT]->(u:Purpose)
RETURN i.key AS key, u.name AS purpose, c.granted AS granted, c.source AS source, c.at AS at
