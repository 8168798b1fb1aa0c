"""Kill a server or a CLI ingest in the middle of a stream of batches, and look at what it
left: shared by tests/test_durability.py (which asserts) and bench/kill_restart.py (which
counts).

"Acknowledged" is a 2xx answer for the API, and for `identity-graph ingest` a
`NAME: committed lines FIRST-LAST` line on stderr (printed after each batch's commit when
stderr is not a terminal).
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from identity_graph.stores import open_store
from identity_graph.stores.contract import GraphStore
from tests.helpers import bearer
from tests.ingest_checks import Batch, batch_state
from tests.live_server import (
    REPO_ROOT,
    LiveServer,
    cli,
    create_key,
    post_until_accepted,
    repo_env,
)
from tests.neo4j_server import auth_from_env

COMMITTED = re.compile(r": committed lines (\d+)-(\d+)$")


def opened(url: str) -> GraphStore:
    return open_store(url, neo4j_auth=auth_from_env())


def states(url: str, batches: list[Batch]) -> dict[int, str]:
    """`batch_state` of every batch: "all", "none", or what is half there."""
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


@dataclass
class Sent:
    """What clients sent to a server that was then killed: batch numbers sent (the last
    of each client possibly in flight) and acknowledged with 2xx."""

    sent: set[int] = field(default_factory=set)
    acked: set[int] = field(default_factory=set)
    busy: int = 0  # 503 answers (with Retry-After): not acknowledged, sent again later
    lock: threading.Lock = field(default_factory=threading.Lock)


def _stream(base: str, key: str, batches: list[Batch], out: Sent) -> None:
    """Post the batches one after another until the server goes away."""
    with httpx.Client(base_url=base, timeout=60.0, headers=bearer(key)) as client:
        for b in batches:
            with out.lock:
                out.sent.add(b.n)
            try:
                r = client.post("/v1/batch", json={"batch": b.events()})
            except httpx.HTTPError:
                return  # killed: this batch was not acknowledged
            with out.lock:
                if 200 <= r.status_code < 300:
                    out.acked.add(b.n)
                else:
                    assert r.status_code == 503 and "Retry-After" in r.headers, r.text
                    out.busy += 1


def kill_server_mid_stream(
    url: str, batches: list[Batch], kill_after: int, clients: int = 3
) -> Sent:
    """Serve `url`, post `batches` from `clients` clients at once, SIGKILL the server once
    `kill_after` batches are acknowledged (several are in flight then)."""
    out = Sent()
    key = create_key(url, "ingest")
    with LiveServer(url) as server:
        streams = [
            threading.Thread(target=_stream, args=(server.base, key, batches[i::clients], out))
            for i in range(clients)
        ]
        for t in streams:
            t.start()
        deadline = time.monotonic() + 300
        while len(out.acked) < kill_after and time.monotonic() < deadline:
            assert any(t.is_alive() for t in streams), server.log()
            time.sleep(0.02)
        server.kill()
        for t in streams:
            t.join(timeout=60)
    return out


def replay(url: str, batches: list[Batch], key: str) -> None:
    """Serve `url` again and post `batches` with an ingest `key`, retrying 503s; each must
    be accepted."""
    headers = bearer(key)
    server = LiveServer(url)
    with server, httpx.Client(base_url=server.base, timeout=60.0, headers=headers) as client:
        for b in batches:
            r = post_until_accepted(client, "/v1/batch", {"batch": b.events()})
            assert r.status_code == 200, r.text


def write_events(path: Path, batches: list[Batch]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for b in batches:
            f.writelines(json.dumps(e) + "\n" for e in b.events())


def run_ingest(url: str, path: Path, size: int) -> subprocess.Popen[str]:
    """`identity-graph ingest PATH --batch-size SIZE` into `url`, stderr piped."""
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


def kill_ingest_mid_file(url: str, path: Path, size: int, kill_after: int) -> int:
    """Run the CLI on `path` and SIGKILL it once it reported `kill_after` batches
    committed; return the lines it reported committed (always a prefix of the file)."""
    proc = run_ingest(url, path, size)
    assert proc.stderr is not None
    acked_lines = 0
    for line in proc.stderr:
        m = COMMITTED.search(line.rstrip("\n"))
        if m is not None:
            assert int(m.group(1)) == acked_lines + 1, "batches are committed in order"
            acked_lines = int(m.group(2))
        if acked_lines >= kill_after * size:
            break
    proc.kill()
    proc.wait(timeout=30)
    return acked_lines


def ingest_to_the_end(url: str, path: Path, size: int) -> None:
    proc = run_ingest(url, path, size)
    _, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err[-3000:]
