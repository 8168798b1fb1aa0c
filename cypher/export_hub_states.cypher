// Every steward hub decision, streamed for a copy to another store.
MATCH (h:HubState)
RETURN h.key AS key, h.state AS state, h.reason AS reason, h.at AS at, h.actor AS actor
