"""The lookup read path: read-only SQLite connections that see every commit, reads on the
event loop only for persons small enough, and Neo4j's one-query profile, which must
equal the profile read query by query."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.errors import GoneError, NotFoundError
from identity_graph.ids import IdentifierKey
from identity_graph.ids import PersonId as P
from identity_graph.ingest.readers import read_items
from identity_graph.profiles import build
from identity_graph.service import identity
from identity_graph.service.identity import IdentityService, records_mapping
from identity_graph.stores.contract import GraphStore, StoreReader
from identity_graph.stores.rows import ChangeSet, LineageRow, MergeRow, NewIdentifierRow, Person
from identity_graph.stores.sqlite import SQLiteStore
from identity_graph.views import Person as Profile
from tests.conftest import make_store
from tests.helpers import event, login, person_of

T0 = "2025-01-01T00:00:00.000000Z"
T1 = "2025-02-01T00:00:00.000000Z"


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[IdentityService]:
    service = IdentityService(SQLiteStore(f"sqlite:///{tmp_path / 'graph.db'}"), Settings())
    try:
        yield service
    finally:
        service.close()


def test_a_lookup_sees_what_was_committed_after_its_connection_opened(
    sqlite_service: IdentityService, tmp_path: Path
) -> None:
    sqlite_service.ingest_events([login("u1", "c1")])
    pid = person_of(sqlite_service, "customer_id:u1")
    assert {i.key for i in sqlite_service.person(pid).identifiers} == {
        "customer_id:u1",
        "cookie:c1",
    }
    # Another writer (an API worker, the CLI) on the same file, then this one's.
    other = IdentityService(SQLiteStore(f"sqlite:///{tmp_path / 'graph.db'}"), Settings())
    try:
        other.ingest_events([login("u1", "c2")])
    finally:
        other.close()
    assert "cookie:c2" in {i.key for i in sqlite_service.person(pid).identifiers}
    sqlite_service.ingest_events([login("u1", "c3")])
    found = sqlite_service.person_by_identifier("cookie", "c3")
    assert found.person_id == pid and len(found.identifiers) == 4


def test_lookups_read_over_a_read_only_connection(sqlite_service: IdentityService) -> None:
    sqlite_service.ingest_events([login("u1", "c1")])
    with sqlite_service._lookups.reader() as r:
        assert r.stats().identifiers == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            r._c.execute("DELETE FROM identifiers")  # type: ignore[attr-defined]
    assert sqlite_service.stats().identifiers == 2


def test_only_a_small_person_is_read_on_the_event_loop(
    sqlite_service: IdentityService, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_service.ingest_events([login("small", "s1")])
    sqlite_service.ingest_events([login("large", f"l{i}") for i in range(4)])
    monkeypatch.setattr(identity, "INLINE_IDENTIFIERS", 3)
    threads: list[int] = []
    real = identity.build_profile

    def recording(*args: Any, **kw: Any) -> Profile:
        profile = real(*args, **kw)
        threads.append(threading.get_ident())  # where a profile was built whole
        return profile

    monkeypatch.setattr(identity, "build_profile", recording)
    small = person_of(sqlite_service, "customer_id:small")
    large = person_of(sqlite_service, "customer_id:large")

    async def lookups() -> tuple[int, list[Profile]]:
        return threading.get_ident(), [
            await sqlite_service.lookup_person(small),
            await sqlite_service.lookup_person(large),
        ]

    loop_thread, (got_small, got_large) = asyncio.run(lookups())
    assert threads[0] == loop_thread and threads[1] != loop_thread
    assert got_small == sqlite_service.person(small)
    assert got_large == sqlite_service.person(large)
    assert len(got_large.identifiers) == 5

    async def by_identifier() -> Profile:
        return await sqlite_service.lookup_identifier("cookie", "l3")

    assert asyncio.run(by_identifier()) == got_large
    with pytest.raises(NotFoundError, match="no identifier of type cookie"):
        asyncio.run(sqlite_service.lookup_identifier("cookie", "nobody"))
    with pytest.raises(NotFoundError, match="no person"):
        asyncio.run(sqlite_service.lookup_person("p_nobody"))


# -- Neo4j: one query per profile ------------------------------------------------------


class _WithoutOneQuery:
    """A reader that does not offer `profile`: the query-by-query read."""

    def __init__(self, reader: StoreReader) -> None:
        self._reader = reader

    def __getattr__(self, name: str) -> Any:
        if name == "profile":
            raise AttributeError(name)
        return getattr(self._reader, name)


class QueryByQuery:
    def __init__(self, store: GraphStore) -> None:
        self._store = store

    @contextmanager
    def reader(self) -> Iterator[StoreReader]:
        with self._store.reader() as r:
            yield _WithoutOneQuery(r)  # type: ignore[misc]


def _ident(key: str, person: str) -> NewIdentifierRow:
    type_, _, value = key.partition(":")
    return NewIdentifierRow(key, type_, value, T0, T0, person)  # type: ignore[arg-type]


def _apply(store: GraphStore, **fields: Any) -> None:
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=T1, **fields))


def _outcome(source: build.Reads, settings: Settings, pid: str) -> object:
    try:
        return build.build_profile(source, settings, pid)
    except (GoneError, NotFoundError) as exc:
        return type(exc), str(exc), getattr(exc, "lineage", None), getattr(exc, "split_into", None)


CRM = """crm_id,email,first_name,last_name,city,updated_at
C1,{email},Anna,Smith,Boston,2025-01-01
C2,{email},Ann,Smith,Salem,2025-01-03
C3,other@example.com,Bob,Jones,Lynn,2025-01-02
"""


@pytest.mark.neo4j
def test_the_one_query_profile_equals_the_profile_read_query_by_query(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store = make_store("neo4j", tmp_path, request)
    # A low hub limit: shared devices split persons (SPLIT_FROM pieces).
    settings = Settings().model_copy(update={"hub_limit": 3})
    service = IdentityService(store, settings)
    try:
        pop = synthetic.make_population(people=60, seed=7)
        events = list(synthetic.iter_events(pop))
        for start in range(0, len(events), 50):  # many batches: merges between them
            service.ingest_events(events[start : start + 50])
        email = next(k for k in synthetic.truth(pop) if k.startswith("email:")).partition(":")[2]
        crm = tmp_path / "crm.csv"
        crm.write_text(CRM.format(email=email), encoding="utf-8")
        mapping = records_mapping(crm, "crm", None, service.normalizer.types)
        service.ingest_stream(read_items(crm), service.record_parser(mapping))
        service.ingest_events([login(u, "tablet") for u in ("a", "b", "c", "d")])
        service.ingest_events(
            [event("page", anonymousId="c-old"), event("page", anonymousId="c-new")]
        )
        old, new = person_of(service, "cookie:c-old"), person_of(service, "cookie:c-new")
        # A merge written before lineage was kept (no MERGED_INTO edge), and a person whose
        # every identifier was removed (410).
        _apply(store, merges=[MergeRow(P(old), P(new), P(new))])
        _apply(
            store,
            persons=[Person(P("p_gone"), T0, T0), Person(P("p_piece"), T0, T0)],
            new_identifiers=[_ident("cookie:piece", "p_piece")],
            lineage=[LineageRow(P("p_piece"), P("p_gone"), "SPLIT_FROM", T1, "hub")],
        )
        with store.reader() as r:
            ids = sorted({str(row["person_id"]) for row in r.scan("persons")})
            keys = [IdentifierKey(str(row["key"])) for row in r.scan("identifiers")]
            lineage = r.lineage([P(i) for i in ids])
            one = {pid: r.profile(pid, None) for pid in ids}  # type: ignore[attr-defined]
        kinds = {e.kind for e in lineage}
        assert kinds == {"MERGED_INTO", "SPLIT_FROM"}
        merged = [pid for pid in ids if one[pid] is not None and len(one[pid].chain) > 1]
        assert merged, "no merged person ID in the store"
        assert not one[old].complete  # read query by query: no edge to follow
        assert sum(1 for rows in one.values() if rows and rows.complete) >= len(ids) - 1
        profiles = [_outcome(store, settings, pid) for pid in ids]
        assert any(isinstance(p, Profile) and p.records for p in profiles)
        assert any(isinstance(p, Profile) and p.activity.purchases for p in profiles)
        assert any(isinstance(p, Profile) and p.split_into for p in profiles)
        assert any(isinstance(p, Profile) and p.lineage for p in profiles)
        assert any(isinstance(p, tuple) and p[0] is GoneError for p in profiles)
        assert profiles == [_outcome(QueryByQuery(store), settings, pid) for pid in ids]
        by_key = [build.identifier_profile(store, settings, k) for k in keys]
        assert by_key == [build.identifier_profile(QueryByQuery(store), settings, k) for k in keys]
        unknown = IdentifierKey("cookie:nobody")
        assert build.identifier_profile(store, settings, unknown) is None
        with pytest.raises(NotFoundError, match="no person"):
            build.build_profile(store, settings, "p_nobody")
    finally:
        store.reset()
        service.close()
