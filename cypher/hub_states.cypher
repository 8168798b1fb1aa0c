// Stewards' hub decisions (confirmed, released) of these keys.
UNWIND $keys AS key
MATCH (h:HubState {key: key})
RETURN h.key AS key, h.state AS state, h.reason AS reason, h.at AS at, h.actor AS actor
