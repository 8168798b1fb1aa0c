// A person's identifiers as (key, is_hub): the nodes of its re-clustering graph.
MATCH (:Person {person_id: $person_id})<-[:BELONGS_TO]-(i:Identifier)
RETURN i.key AS key, i.is_hub AS is_hub
