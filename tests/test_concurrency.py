"""Concurrency: many clients ingesting overlapping identifiers and reading one store at once
(threads; two worker processes on one SQLite file; Neo4j) lose no acknowledged event, get
no 5xx but a 503 with Retry-After that a retry gets past, and never leave an identifier in
two persons: the persons are the connected components of what was sent. A write that cannot
get its turn within the configured wait is answered 503 with Retry-After, not left hanging.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from neo4j import exceptions as nx
from typer.testing import CliRunner

from identity_graph.api.main import create_app
from identity_graph.cli import app as cli_app
from identity_graph.config import Settings
from identity_graph.errors import Busy, MemoryFull, TooLarge, TransientStoreError
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import DEFAULT_BATCH_SIZE, NEO4J_BATCH_SIZE, default_batch_size
from identity_graph.stores import open_store
from identity_graph.stores.admission import retry_transient
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.neo4j.errors import translate
from tests.conftest import STORES
from tests.helpers import bearer, issue_key
from tests.ingest_checks import Batch, batch_state, check_partition, components, persons_of
from tests.live_server import LiveServer, create_key, post_until_accepted
from tests.neo4j_server import auth_from_env

GROUPS = 30
COOKIES = 8


def store_url_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'graph.db'}"
    uri: str = request.getfixturevalue("neo4j_uri")
    store = open_store(uri, neo4j_auth=auth_from_env())
    store.reset()
    store.close()
    return uri


class Writer:
    """One client: batches of logins (cookie + customer ID) and sign-ups (cookie + email)
    of customers every other client writes about too."""

    def __init__(self, number: int, batches: int, size: int) -> None:
        self.rng = random.Random(number)
        self.number = number
        self.batches = batches
        self.size = size
        self.acked: list[str] = []
        self.pairs: list[tuple[str, str]] = []

    def batch(self, b: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
        events, pairs = [], []
        for i in range(self.size):
            g, k = self.rng.randrange(GROUPS), self.rng.randrange(COOKIES)
            event: dict[str, Any] = {
                "type": "identify",
                "messageId": f"w{self.number}-{b}-{i}",
                "timestamp": "2025-03-01T10:00:00Z",
                "anonymousId": f"c-{g}-{k}",
            }
            if self.rng.random() < 0.5:
                event["userId"] = f"u-{g}"
                pairs.append((f"cookie:c-{g}-{k}", f"customer_id:u-{g}"))
            else:
                event["traits"] = {"email": f"e-{g}@example.com"}
                pairs.append((f"cookie:c-{g}-{k}", f"email:e-{g}@example.com"))
            events.append(event)
        return events, pairs

    def run(self, base: str, key: str) -> None:
        with httpx.Client(base_url=base, timeout=120.0, headers=bearer(key)) as client:
            for b in range(self.batches):
                events, pairs = self.batch(b)
                r = post_until_accepted(client, "/v1/batch", {"batch": events})
                assert r.status_code == 200, (r.status_code, r.text)
                self.acked.extend(e["messageId"] for e in events)
                self.pairs.extend(pairs)


def read_while(
    base: str, key: str, writing: threading.Event, seed: int, statuses: list[int]
) -> None:
    """Look customers up by cookie and by person ID until the writers are done."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=120.0, headers=bearer(key)) as client:
        while writing.is_set():
            r = client.get(f"/v1/identifiers/cookie/c-{rng.randrange(GROUPS)}-0/person")
            statuses.append(r.status_code)
            if r.status_code == 200:
                person = r.json()["person_id"]
                statuses.append(client.get(f"/v1/persons/{person}").status_code)


CASES = [
    pytest.param("sqlite", 1, id="sqlite-threads"),
    pytest.param("sqlite", 2, id="sqlite-2-workers"),
    *[
        pytest.param("neo4j", 1, id="neo4j-threads", marks=p.marks)
        for p in STORES
        if p.values == ("neo4j",)
    ],
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "workers"), CASES)
def test_many_clients_at_once_lose_nothing_and_split_no_identifier(
    kind: str, workers: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = store_url_for(kind, tmp_path, request)
    writers = [Writer(n, batches=12, size=25) for n in range(6)]
    writing = threading.Event()
    writing.set()
    statuses: list[int] = []
    failures: list[BaseException] = []

    def guarded(target: Any, *args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:
            failures.append(exc)

    ingest, reader = create_key(url, "ingest"), create_key(url, "reader")
    # Short waits make writers meet the 503 path under this contention.
    with LiveServer(url, workers=workers, args=["--write-wait", "0.5"]) as server:
        threads = [
            threading.Thread(target=guarded, args=(w.run, server.base, ingest)) for w in writers
        ]
        readers = [
            threading.Thread(
                target=guarded, args=(read_while, server.base, reader, writing, n, statuses)
            )
            for n in range(3)
        ]
        for t in [*threads, *readers]:
            t.start()
        for t in threads:
            t.join(timeout=600)
        writing.clear()
        for t in readers:
            t.join(timeout=120)
        assert not failures, f"{failures[0]!r}\n{server.log()}"

    assert statuses and set(statuses) <= {200, 404}, sorted(set(statuses))
    store = open_store(url, neo4j_auth=auth_from_env())
    try:
        acked = [m for w in writers for m in w.acked]
        with store.reader() as r:
            assert r.seen_messages(acked) == set(acked), "an acknowledged event is missing"
        person_of = check_partition(store, Settings())
    finally:
        store.close()
    sent = components(p for w in writers for p in w.pairs)
    assert persons_of(person_of) == sent


@pytest.fixture
def held_sqlite(tmp_path: Path) -> Iterator[tuple[str, str, sqlite3.Connection]]:
    """A SQLite store with an admin key, whose write lock another process would hold: a
    connection of its own in `BEGIN IMMEDIATE` (commit or roll back to let go)."""
    url = f"sqlite:///{tmp_path / 'graph.db'}"
    key = create_key(url, "admin")
    other = sqlite3.connect(tmp_path / "graph.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield url, key, other
    finally:
        other.close()


BATCH = {
    "batch": [{"type": "identify", "messageId": "held-1", "userId": "u-1", "anonymousId": "c-1"}]
}


@pytest.mark.slow
def test_a_write_held_by_another_process_past_the_wait_is_a_503_with_retry_after(
    held_sqlite: tuple[str, str, sqlite3.Connection],
) -> None:
    url, key, other = held_sqlite
    server = LiveServer(url, args=["--write-wait", "0.5"])
    headers = bearer(key)
    # A hang would end in the client's timeout, a failure.
    with server, httpx.Client(base_url=server.base, timeout=30.0, headers=headers) as client:
        r = client.post("/v1/batch", json=BATCH)
        assert r.status_code == 503, r.text
        assert int(r.headers["Retry-After"]) >= 1
        assert "nothing was written" in r.json()["detail"]
        assert client.get("/v1/stats").status_code == 200  # reads go on
        other.rollback()
        r = client.post("/v1/batch", json=BATCH)
        assert r.status_code == 200, r.text


def test_a_cli_ingest_that_cannot_get_its_turn_exits_saying_busy(
    held_sqlite: tuple[str, str, sqlite3.Connection],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, _, _ = held_sqlite
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(BATCH["batch"][0]) + "\n", encoding="utf-8")
    monkeypatch.setenv("IDENTITY_GRAPH_WRITE_WAIT_SECONDS", "0.3")
    r = CliRunner().invoke(cli_app, ["ingest", str(path), "--store", url])
    assert r.exit_code == 1 and "is busy" in r.output and "nothing was written" in r.output


def gated_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> GraphStore:
    return open_store(
        store_url_for(kind, tmp_path, request), neo4j_auth=auth_from_env(), write_wait=0.3
    )


@pytest.mark.parametrize("kind", STORES)
def test_a_write_of_this_process_held_past_the_wait_is_a_503_with_retry_after(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = gated_store(kind, tmp_path, request)
    service = IdentityService(store, Settings())
    app = create_app(service_factory=lambda: service)
    with TestClient(app, headers=bearer(issue_key(store, "ingest"))) as client:
        with store.unit_of_work():  # a long batch of another request
            assert store.writes_waiting == 0
            r = client.post("/v1/batch", json=BATCH)
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1, r.text
        assert client.post("/v1/batch", json=BATCH).status_code == 200


@pytest.mark.parametrize("kind", STORES)
def test_a_batch_that_fails_transiently_is_run_again_and_applied_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = gated_store(kind, tmp_path, request)
    real = store.unit_of_work
    failures = ["deadlock"]

    @contextmanager
    def deadlocked_once() -> Iterator[Any]:
        with real() as tx:
            yield tx
            if failures:  # after the batch's writes, before its commit: all rolled back
                raise TransientStoreError(failures.pop())

    monkeypatch.setattr(store, "unit_of_work", deadlocked_once)
    batch = Batch("retry", 0, 10)
    try:
        summary = IdentityService(store, Settings()).ingest_events(batch.events())
        assert not failures and summary.replayed == 0
        assert batch_state(store, batch) == "all"
    finally:
        store.close()


def test_a_transient_failure_is_retried_then_busy() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientStoreError("deadlock")
        return "done"

    assert retry_transient(flaky) == "done" and len(calls) == 3

    def always() -> str:
        raise TransientStoreError("deadlock")

    with pytest.raises(Busy):
        retry_transient(always, attempts=2)


def test_a_neo4j_deadlock_is_a_transient_error_that_ingest_retries() -> None:
    # As the driver builds it from the server's failure message.
    deadlock = nx.Neo4jError._hydrate_neo4j(
        code="Neo.TransientError.Transaction.DeadlockDetected", message="a lock cycle"
    )
    assert isinstance(translate(deadlock, "bolt://127.0.0.1:7687", None), TransientStoreError)


def test_a_neo4j_transaction_out_of_memory_is_retried_then_final() -> None:
    # Neo4j files a full transaction memory pool under TransientError: the pool is shared,
    # so it may pass; when it keeps failing the batch is too large, and a 503 would make
    # clients resend it forever.
    full = nx.Neo4jError._hydrate_neo4j(
        code="Neo.TransientError.General.MemoryPoolOutOfMemoryError", message="pool full"
    )
    error = translate(full, "bolt://127.0.0.1:7687", None)
    assert isinstance(error, MemoryFull) and isinstance(error, TransientStoreError)
    assert "--batch-size" in str(error)
    calls = []

    def work() -> None:
        calls.append(1)
        raise error

    with pytest.raises(TooLarge, match="--batch-size"):
        retry_transient(work, attempts=3)
    assert len(calls) == 3
    outcomes = iter([error, None])

    def passes_later() -> str:
        failure = next(outcomes)
        if failure is not None:
            raise failure
        return "applied"

    assert retry_transient(passes_later, attempts=3) == "applied"


def test_a_batch_too_large_for_the_store_is_a_final_413(tmp_path: Path) -> None:
    service = IdentityService(open_store(f"sqlite:///{tmp_path / 'g.db'}"), Settings())
    key = issue_key(service, "ingest")

    def too_large(events: object) -> object:
        raise TooLarge("Neo4j at bolt://x: query 'upsert_links' needs more memory")

    service.ingest_batch = too_large  # type: ignore[method-assign,assignment]
    with TestClient(create_app(service_factory=lambda: service)) as client:
        r = client.post(
            "/v1/batch", json={"batch": [{"type": "identify", "userId": "u1"}]}, headers=bearer(key)
        )
    assert r.status_code == 413, r.text
    assert "smaller batches" in r.json()["detail"]
    assert "upsert_links" not in r.text  # query names stay in the log


def test_ingest_defaults_to_smaller_batches_on_neo4j() -> None:
    assert default_batch_size("sqlite:///g.db") == DEFAULT_BATCH_SIZE
    assert default_batch_size("bolt://127.0.0.1:7687") == NEO4J_BATCH_SIZE
    assert default_batch_size("neo4j+s://db.example") == NEO4J_BATCH_SIZE < DEFAULT_BATCH_SIZE
