// First statement of every write unit of work: the write lock on this node is held until
// commit or rollback, so batches are applied one at a time across every process that
// shares the database (the core decides from what it read inside the transaction).
// The counter it returns numbers the units of work: append-only rows (refused merges,
// audit) are ordered by it.
MATCH (l:Meta {name: 'write_lock'})
SET l.value = l.value + 1
RETURN l.value AS tx
