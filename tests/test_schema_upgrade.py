"""A store written by the previous release opens in this one: the schema change is additive
(tombstones, indexes for person reads), applied in place, and nothing stored is lost. A
version this release does not know is refused before anything is touched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import neo4j
import pytest

from identity_graph.config import Settings
from identity_graph.errors import StoreError
from identity_graph.service.identity import IdentityService
from identity_graph.stores.neo4j import Neo4jStore
from identity_graph.stores.rows import ChangeSet, TombstoneRow
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import reads
from tests.neo4j_server import auth_from_env

EVENT = {
    "type": "identify",
    "messageId": "m1",
    "anonymousId": "cookie-1",
    "traits": {"email": "anna@example.com"},
}


def _tombstone_written(store: SQLiteStore | Neo4jStore) -> bool:
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(tombstones=[TombstoneRow("ab" * 32, "2026-01-01T00:00:00Z")]))
    return reads(store).tombstones(["ab" * 32]) == {"ab" * 32}


def _as_previous_sqlite(path: Path, version: str) -> None:
    """What the previous release left: schema version 2, no tombstones table."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE tombstones")
        conn.execute("DROP INDEX refused_by_person")
        conn.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (version,))


def test_sqlite_store_of_the_previous_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    store = SQLiteStore(f"sqlite:///{path}")
    IdentityService(store, Settings()).ingest_events([EVENT])
    before = reads(store).row_counts()
    store.close()
    _as_previous_sqlite(path, "2")

    store = SQLiteStore(f"sqlite:///{path}")
    try:
        assert reads(store).row_counts() == before
        assert _tombstone_written(store)
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == ("3",)


def test_sqlite_store_of_an_unknown_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    SQLiteStore(f"sqlite:///{path}").close()
    _as_previous_sqlite(path, "1")
    with pytest.raises(StoreError, match="schema version 1"):
        SQLiteStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "tombstones" not in tables


@pytest.mark.neo4j
def test_neo4j_store_of_the_previous_release_is_upgraded_in_place(neo4j_uri: str) -> None:
    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    try:
        store.reset()
        IdentityService(store, Settings()).ingest_events([EVENT])
        before = reads(store).row_counts()
    finally:
        store.close()
    auth = auth_from_env()
    with neo4j.GraphDatabase.driver(
        neo4j_uri, auth=neo4j.basic_auth(*auth) if auth is not None else None
    ) as driver:
        driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '1'")
        store = Neo4jStore(neo4j_uri, auth=auth)
        try:
            assert reads(store).row_counts() == before
            assert _tombstone_written(store)
            version = driver.execute_query("MATCH (s:Meta {name: 'schema'}) RETURN s.value AS v")
            assert version.records[0]["v"] == "2"
            driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '0'")
            with pytest.raises(StoreError, match="schema version 0"):
                Neo4jStore(neo4j_uri, auth=auth).close()
        finally:
            driver.execute_query("MATCH (s:Meta {name: 'schema'}) SET s.value = '2'")
            store.reset()
            store.close()
