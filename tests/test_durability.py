"""Durability: a server or a CLI ingest killed (SIGKILL) in the middle of a stream of batches
keeps every batch it acknowledged, whole, and none half-applied; replaying after a restart
is harmless. And SIGTERM lets the batch in flight finish while refusing new connections.

"Acknowledged" is a 2xx answer for the API, and for `identity-graph ingest` a
`NAME: committed lines FIRST-LAST` line on stderr (printed after each batch's commit when
stderr is not a terminal).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from identity_graph.config import Settings
from identity_graph.stores import open_store
from identity_graph.stores.contract import GraphStore
from tests.conftest import STORES
from tests.ingest_checks import Batch, batch_state, check_partition
from tests.live_server import REPO_ROOT, LiveServer, cli, post_until_accepted, repo_env
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


def opened(url: str) -> GraphStore:
    return open_store(url, neo4j_auth=auth_from_env())


def states(url: str, batches: list[Batch]) -> dict[int, str]:
    store = opened(url)
    try:
        return {b.n: batch_state(store, b) for b in batches}
    finally:
        store.close()


def counts(url: str) -> dict[str, int]:
    store = opened(url)
    try:
        with store.reader() as r:
            return r.row_counts()
    finally:
        store.close()


def stream(base: str, batches: list[Batch], acked: set[int], lock: threading.Lock) -> None:
    """Post the batches one after another until the server goes away."""
    with httpx.Client(base_url=base, timeout=60.0) as client:
        for b in batches:
            try:
                r = client.post("/v1/batch", json={"batch": b.events()})
            except httpx.HTTPError:
                return  # killed: this batch was not acknowledged
            if 200 <= r.status_code < 300:
                with lock:
                    acked.add(b.n)
            else:
                assert r.status_code == 503 and "Retry-After" in r.headers, r.text


def replay(base: str, batches: list[Batch]) -> None:
    with httpx.Client(base_url=base, timeout=60.0) as client:
        for b in batches:
            r = post_until_accepted(client, "/v1/batch", {"batch": b.events()})
            assert r.status_code == 200, r.text


def test_a_killed_server_keeps_every_acknowledged_batch_whole(store_url: str) -> None:
    batches = [Batch("srv", n, 40) for n in range(120)]
    acked: set[int] = set()
    lock = threading.Lock()
    with LiveServer(store_url) as server:
        # Three clients at once: several batches are in flight when the kill comes.
        streams = [
            threading.Thread(target=stream, args=(server.base, batches[i::3], acked, lock))
            for i in range(3)
        ]
        for t in streams:
            t.start()
        deadline = time.monotonic() + 120
        while len(acked) < 45 and time.monotonic() < deadline:
            assert any(t.is_alive() for t in streams), server.log()
            time.sleep(0.05)
        server.kill()
        for t in streams:
            t.join(timeout=60)
    assert len(acked) >= 45, "the server acknowledged too few batches before the kill"
    assert len(acked) < len(batches), "the kill came after the last batch"

    after_kill = states(store_url, batches)
    assert {n: after_kill[n] for n in acked} == dict.fromkeys(acked, "all")
    assert set(after_kill.values()) <= {"all", "none"}, "a batch is half applied"

    # Restarted: replay every batch not acknowledged, and some that were.
    again = [b for b in batches if b.n not in acked] + [b for b in batches if b.n in acked][:20]
    with LiveServer(store_url) as server:
        replay(server.base, again)
        before = counts(store_url)
        replay(server.base, [b for b in batches if b.n in acked][:20])
        assert counts(store_url) == before, "a replay changed the store"
    assert set(states(store_url, batches).values()) == {"all"}
    assert before["messages"] == sum(b.size for b in batches)
    store = opened(store_url)
    try:
        person_of = check_partition(store, Settings())
    finally:
        store.close()
    assert len(set(person_of.values())) == len(batches)


COMMITTED = re.compile(r": committed lines (\d+)-(\d+)$")


def run_ingest(url: str, path: Path, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("ingest", str(path), "--store", url, "--batch-size", str(size)),
        cwd=REPO_ROOT,
        env=repo_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_a_killed_cli_ingest_keeps_every_committed_batch_whole(
    store_url: str, tmp_path: Path
) -> None:
    size = 40
    batches = [Batch("cli", n, size) for n in range(200)]
    path = tmp_path / "events.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for b in batches:
            f.writelines(json.dumps(e) + "\n" for e in b.events())

    proc = run_ingest(store_url, path, size)
    assert proc.stderr is not None
    acked_lines = 0
    for line in proc.stderr:
        m = COMMITTED.search(line.rstrip("\n"))
        if m is not None:
            assert int(m.group(1)) == acked_lines + 1, "batches are committed in order"
            acked_lines = int(m.group(2))
        if acked_lines >= 60 * size:
            break
    proc.kill()
    proc.wait(timeout=30)
    assert acked_lines >= 60 * size, "the ingest committed too few batches before the kill"
    acked = acked_lines // size
    assert acked < len(batches), "the kill came after the last batch"

    after_kill = states(store_url, batches)
    assert all(after_kill[n] == "all" for n in range(acked))
    assert set(after_kill.values()) <= {"all", "none"}, "a batch is half applied"
    present = [n for n, s in after_kill.items() if s == "all"]
    assert present == list(range(len(present))), "a committed batch after a missing one"

    finished = []
    for _ in range(2):  # run to the end, then once more: the second run changes nothing
        rerun = run_ingest(store_url, path, size)
        _, err = rerun.communicate(timeout=600)
        assert rerun.returncode == 0, err[-3000:]
        finished.append(counts(store_url))
    assert finished[1] == finished[0], "re-running the file changed the store"
    assert set(states(store_url, batches).values()) == {"all"}


def test_sigterm_finishes_the_batch_in_flight_and_refuses_new_connections(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'graph.db'}"
    batch = Batch("term", 0, 200)
    body = json.dumps({"batch": batch.events()}).encode()
    with LiveServer(url, args=["--shutdown-grace", "60"]) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        head = (
            "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
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
