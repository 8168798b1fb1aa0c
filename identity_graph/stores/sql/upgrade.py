"""In-place upgrades of a store written by an earlier release (`SQLiteStore` runs them before
the additive schema). `tests/test_schema_upgrade.py` runs each on a store of that release."""

from __future__ import annotations

# Schema 4 keys activity by UTC day as well: does the table already have the column?
ACTIVITY_HAS_DAY = "SELECT count(*) FROM pragma_table_info('activity') WHERE name = 'day'"
# Statements around the schema script (which creates the new `activity` table): the old
# rows become one row each, on the day of their last event. One script: all or nothing.
ACTIVITY_BY_DAY_BEFORE = "BEGIN IMMEDIATE;\nALTER TABLE activity RENAME TO activity_undated;\n"
ACTIVITY_BY_DAY_AFTER = (
    "INSERT INTO activity (key, kind, target_type, target_id, day, count, first_at, last_at, "
    "amount, person_id) SELECT a.key, a.kind, a.target_type, a.target_id, "
    "substr(a.last_at, 1, 10), a.count, a.first_at, a.last_at, a.amount, "
    "(SELECT i.person_id FROM identifiers i WHERE i.key = a.key) FROM activity_undated a;\n"
    "DROP TABLE activity_undated;\n"
    "COMMIT;\n"
)
# Provenance written by the release that introduced it had a JSON text key (`pk`) beside its
# columns; it is now keyed by the columns themselves. Its rows are copied as they are.
PROVENANCE_HAS_PK = "SELECT count(*) FROM pragma_table_info('provenance') WHERE name = 'pk'"
PROVENANCE_BY_COLUMNS_BEFORE = (
    "BEGIN IMMEDIATE;\n"
    "DROP INDEX IF EXISTS provenance_by_key;\n"
    "DROP INDEX IF EXISTS provenance_by_other;\n"
    "ALTER TABLE provenance RENAME TO provenance_text_keyed;\n"
)
PROVENANCE_BY_COLUMNS_AFTER = (
    "INSERT INTO provenance (batch_id, kind, source, key, other, count, amount, at) "
    "SELECT batch_id, kind, source, key, other, count, amount, at FROM provenance_text_keyed;\n"
    "DROP TABLE provenance_text_keyed;\n"
    "COMMIT;\n"
)
