// Persons an identifier was linked to besides its own (capped): the hub rule's memory.
UNWIND $rows AS row
MATCH (i:Identifier {key: row.key})
SET i.joined = row.persons
