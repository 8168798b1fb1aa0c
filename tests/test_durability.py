"""Durability: a server or a CLI ingest killed (SIGKILL) in the middle of a stream of batches
keeps every batch it acknowledged, whole, and none half-applied; replaying after a restart
is harmless. And SIGTERM lets the batch in flight finish while refusing new connections.
What "acknowledged" means for each: tests/kill_runs.py.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from identity_graph.config import Settings
from identity_graph.stores import open_store
from tests.conftest import STORES
from tests.ingest_checks import Batch, check_partition
from tests.kill_runs import (
    counts,
    ingest_to_the_end,
    kill_ingest_mid_file,
    kill_server_mid_stream,
    opened,
    replay,
    states,
    write_events,
)
from tests.live_server import LiveServer, create_key
from tests.neo4j_server import auth_from_env

pytestmark = pytest.mark.slow


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL (a new SQLite file, or the session's Neo4j, reset)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'graph.db'}"
        return
    uri: str = request.getfixturevalue("neo4j_uri")
    store = open_store(uri, neo4j_auth=auth_from_env())
    store.reset()
    store.close()
    yield uri


def test_a_killed_server_keeps_every_acknowledged_batch_whole(store_url: str) -> None:
    batches = [Batch("srv", n, 40) for n in range(120)]
    sent = kill_server_mid_stream(store_url, batches, kill_after=45)
    acked = sent.acked
    assert len(acked) >= 45, "the server acknowledged too few batches before the kill"
    assert len(sent.sent) < len(batches), "the kill came after the last batch"

    after_kill = states(store_url, batches)
    assert {n: after_kill[n] for n in acked} == dict.fromkeys(acked, "all")
    assert set(after_kill.values()) <= {"all", "none"}, "a batch is half applied"

    # Restarted: replay every batch not acknowledged, and some that were; then some again.
    some = [b for b in batches if b.n in acked][:20]
    key = create_key(store_url, "ingest")
    replay(store_url, [b for b in batches if b.n not in acked] + some, key)
    before = counts(store_url)
    replay(store_url, some, key)
    assert counts(store_url) == before, "a replay changed the store"
    assert set(states(store_url, batches).values()) == {"all"}
    assert before["messages"] == sum(b.size for b in batches)
    store = opened(store_url)
    try:
        person_of = check_partition(store, Settings())
    finally:
        store.close()
    assert len(set(person_of.values())) == len(batches)


def test_a_killed_cli_ingest_keeps_every_committed_batch_whole(
    store_url: str, tmp_path: Path
) -> None:
    size = 40
    batches = [Batch("cli", n, size) for n in range(200)]
    path = tmp_path / "events.jsonl"
    write_events(path, batches)
    acked_lines = kill_ingest_mid_file(store_url, path, size, kill_after=60)
    assert acked_lines >= 60 * size, "the ingest committed too few batches before the kill"
    acked = acked_lines // size
    assert acked < len(batches), "the kill came after the last batch"

    after_kill = states(store_url, batches)
    assert all(after_kill[n] == "all" for n in range(acked))
    assert set(after_kill.values()) <= {"all", "none"}, "a batch is half applied"
    present = [n for n, s in after_kill.items() if s == "all"]
    assert present == list(range(len(present))), "a committed batch after a missing one"

    ingest_to_the_end(store_url, path, size)
    first = counts(store_url)
    ingest_to_the_end(store_url, path, size)  # once more: a replay of the whole file
    assert counts(store_url) == first, "re-running the file changed the store"
    assert set(states(store_url, batches).values()) == {"all"}


def test_sigterm_finishes_the_batch_in_flight_and_refuses_new_connections(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'graph.db'}"
    batch = Batch("term", 0, 200)
    body = json.dumps({"batch": batch.events()}).encode()
    key = create_key(url, "ingest")
    with LiveServer(url, args=["--shutdown-grace", "60"]) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        head = (
            "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n"
        )
        sock.sendall(head.encode())
        # The server answers 100 Continue when the route starts reading the body: from here
        # on the request is in flight.
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        server.terminate()
        deadline = time.monotonic() + 30
        while True:  # the listening socket closes first: new connections are refused
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            except ConnectionRefusedError:
                break
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            time.sleep(0.05)
        sock.sendall(body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sock.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert b"connection: close" in answer.lower()
        # uvicorn re-raises the signal once shut down: the exit says "ended by SIGTERM".
        assert server.wait(timeout=60) in (0, -signal.SIGTERM), server.log()
    assert states(url, [batch]) == {0: "all"}
