// Upgrade to schema 3 (activity by UTC day): an activity relationship written before
// holds the totals of every day; it becomes the row of the day of its last event.
MATCH ()-[r:PURCHASED|VIEWED|EXPOSED_TO|OPENED_CASE|CLOSED_CASE]->()
WHERE r.day IS NULL
SET r.day = substring(r.last_at, 0, 10)
