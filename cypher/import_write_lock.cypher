// After copying ordered rows (`seq` = unit of work * 1,000,000 + position): number later
// units of work after them, so new audit rows and refusals sort as newer.
MATCH (l:Meta {name: 'write_lock'})
SET l.value = CASE WHEN l.value < $tx THEN $tx ELSE l.value END
