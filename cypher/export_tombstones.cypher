// Every tombstone (salted hash of an erased identifier's key), streamed for a copy.
MATCH (t:Tombstone)
RETURN t.digest AS digest, t.at AS at
