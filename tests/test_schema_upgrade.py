"""A store written by an earlier release opens in this one: the schema change is applied in
place (new tables and indexes; activity keyed by UTC day, each old row on the day of its last
event) and nothing stored is lost. A version this release does not know is refused before
anything is touched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import neo4j
import pytest

from identity_graph.config import Settings
from identity_graph.errors import StoreError
from identity_graph.service.identity import IdentityService
from identity_graph.stores.neo4j import Neo4jStore
from identity_graph.stores.rows import ChangeSet, ConsentRow, RecordRow, TombstoneRow
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import reads
from tests.neo4j_server import auth_from_env

EVENT = {
    "type": "identify",
    "messageId": "m1",
    "anonymousId": "cookie-1",
    "traits": {"email": "anna@example.com"},
}
AT = "2025-03-01T00:00:00.000000Z"
VIEW = {
    "type": "track",
    "messageId": "m2",
    "anonymousId": "cookie-1",
    "event": "Product Viewed",
    "properties": {"product_id": "p1"},
    "timestamp": "2025-03-01T23:00:00Z",
}
# What release 3 held: activity without a day (totals of every day), no consent.
_SQLITE_RELEASE_3 = """
DROP TRIGGER identifier_moves;
DROP TABLE consent;
DROP INDEX activity_by_target;
ALTER TABLE activity RENAME TO activity_by_day;
CREATE TABLE activity (
    key TEXT NOT NULL, kind TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL,
    count INTEGER NOT NULL, first_at TEXT NOT NULL, last_at TEXT NOT NULL,
    amount REAL NOT NULL DEFAULT 0, PRIMARY KEY (key, kind, target_type, target_id)
) WITHOUT ROWID;
INSERT INTO activity SELECT key, kind, target_type, target_id, count, first_at, last_at, amount
FROM activity_by_day;
DROP TABLE activity_by_day;
"""


def _activity_days(store: SQLiteStore | Neo4jStore) -> list[tuple[str, str, int]]:
    return [(i.target_id, i.day, i.count) for i in reads(store).activity(["cookie:cookie-1"])]


def _tombstone_written(store: SQLiteStore | Neo4jStore) -> bool:
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(tombstones=[TombstoneRow("ab" * 32, "2026-01-01T00:00:00Z")]))
    return reads(store).tombstones(["ab" * 32]) == {"ab" * 32}


def _as_previous_sqlite(path: Path, version: str) -> None:
    """What an earlier release left: schema 3 (activity without days, no consent), or 2
    (no tombstones table either)."""
    with sqlite3.connect(path) as conn:
        conn.executescript(_SQLITE_RELEASE_3)
        if version != "3":
            conn.execute("DROP TABLE tombstones")
            conn.execute("DROP INDEX refused_by_person")
        conn.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (version,))


def _consent_written(store: SQLiteStore | Neo4jStore) -> bool:
    row = ConsentRow("cookie:cookie-1", "ads", True, "crm", "2026-01-01T00:00:00Z")
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(consent=[row]))
    return [c.purpose for c in reads(store).consent(["cookie:cookie-1"])] == ["ads"]


@pytest.mark.parametrize("version", ["2", "3"])
def test_sqlite_store_of_an_earlier_release_is_upgraded_in_place(
    tmp_path: Path, version: str
) -> None:
    path = tmp_path / "graph.db"
    store = SQLiteStore(f"sqlite:///{path}")
    IdentityService(store, Settings()).ingest_events([EVENT, VIEW])
    before = reads(store).row_counts()
    store.close()
    _as_previous_sqlite(path, version)

    store = SQLiteStore(f"sqlite:///{path}")
    try:
        assert reads(store).row_counts() == before
        assert _activity_days(store) == [("p1", "2025-03-01", 1)]
        assert _tombstone_written(store)
        assert _consent_written(store)
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == ("4",)
        # Segments count activity per person from the row itself: the upgrade fills it in.
        unowned = conn.execute(
            "SELECT count(*) FROM activity a JOIN identifiers i ON i.key = a.key "
            "WHERE a.person_id IS NOT i.person_id"
        ).fetchone()
        assert unowned == (0,)
    SQLiteStore(f"sqlite:///{path}").close()  # opening an upgraded store again changes nothing


# Provenance as the release that introduced it wrote it: a JSON text key beside the columns.
_SQLITE_TEXT_KEYED_PROVENANCE = """
DROP INDEX provenance_by_key;
DROP INDEX provenance_by_other;
ALTER TABLE provenance RENAME TO provenance_now;
CREATE TABLE provenance (
    pk TEXT PRIMARY KEY, batch_id TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
    key TEXT NOT NULL, other TEXT NOT NULL, count INTEGER NOT NULL, amount REAL NOT NULL,
    at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX provenance_by_key ON provenance (key, kind, other);
CREATE INDEX provenance_by_other ON provenance (other) WHERE kind = 'link';
INSERT INTO provenance SELECT json_array(batch_id, kind, source, key, other), batch_id, kind,
    source, key, other, count, amount, at FROM provenance_now;
DROP TABLE provenance_now;
"""


def test_sqlite_text_keyed_provenance_is_rekeyed_in_place(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    store = SQLiteStore(f"sqlite:///{path}")
    result = IdentityService(store, Settings()).ingest_events([EVENT, VIEW])
    batch = result.batch_id
    rows = reads(store).provenance(batch, None, 1000)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.executescript(_SQLITE_TEXT_KEYED_PROVENANCE)
        assert conn.execute("SELECT count(*) FROM provenance").fetchone() == (len(rows),)

    store = SQLiteStore(f"sqlite:///{path}")
    try:
        assert len(rows) >= 4  # the link, identifiers and the activity
        assert reads(store).provenance(batch, None, 1000) == rows
        # Removing the batch takes everything back: the re-keyed rows are found and deleted.
        IdentityService(store, Settings()).lifecycle.remove(batch=batch, by="t", reason="test")
        assert reads(store).provenance(batch, None, 1000) == []
        assert reads(store).identifiers(["cookie:cookie-1"]) == {}
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(provenance)")]
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(provenance)")}
    assert "pk" not in columns
    assert {"provenance_by_key", "provenance_by_other"} <= indexes


def test_sqlite_store_of_an_unknown_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    SQLiteStore(f"sqlite:///{path}").close()
    _as_previous_sqlite(path, "1")
    with pytest.raises(StoreError, match="schema version 1"):
        SQLiteStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "tombstones" not in tables and "consent" not in tables


@pytest.mark.neo4j
def test_neo4j_store_of_the_previous_release_is_upgraded_in_place(neo4j_uri: str) -> None:
    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    try:
        store.reset()
        IdentityService(store, Settings()).ingest_events([EVENT, VIEW])
        with store.unit_of_work() as tx:
            record = RecordRow("crm", "C1", "cookie:cookie-1", '{"given_name": "Anna"}', AT)
            tx.apply(ChangeSet(records=[record]))
        before = reads(store).row_counts()
    finally:
        store.close()
    auth = auth_from_env()
    with neo4j.GraphDatabase.driver(
        neo4j_uri, auth=neo4j.basic_auth(*auth) if auth is not None else None
    ) as driver:
        # What release 2 held: activity without a day, records without attr_* properties.
        driver.execute_query("MATCH (:Identifier)-[r:VIEWED]->() REMOVE r.day")
        driver.execute_query("MATCH (r:Record) REMOVE r.attr_given_name")
        driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '2'")
        store = Neo4jStore(neo4j_uri, auth=auth)
        try:
            assert reads(store).row_counts() == before
            assert _activity_days(store) == [("p1", "2025-03-01", 1)]
            assert _tombstone_written(store)
            assert _consent_written(store)
            names = driver.execute_query("MATCH (r:Record) RETURN r.attr_given_name AS n")
            assert [r["n"] for r in names.records] == ["Anna"]
            version = driver.execute_query("MATCH (s:Meta {name: 'schema'}) RETURN s.value AS v")
            assert version.records[0]["v"] == "3"
            driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '0'")
            with pytest.raises(StoreError, match="schema version 0"):
                Neo4jStore(neo4j_uri, auth=auth).close()
        finally:
            driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '3'")
            store.reset()
            store.close()
