"""WAL checkpoints run on the store's own thread, not inside the writer's COMMIT: committed
pages reach the database file without any further write, and closing the store stops it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore


def _pages_in_file(path: Path) -> int:
    # The database header's page count (offset 28) changes only when a checkpoint writes
    # the file: commits go to the WAL.
    with path.open("rb") as f:
        header = f.read(32)
    return int.from_bytes(header[28:32], "big")


def _events(n: int) -> list[dict[str, object]]:
    return [
        {
            "type": "identify",
            "messageId": f"m{i}",
            "anonymousId": f"cookie-{i}",
            "userId": f"u{i}",
            "traits": {"email": f"p{i}@example.com"},
        }
        for i in range(n)
    ]


def test_commits_reach_the_database_file_without_another_write(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    store = SQLiteStore(f"sqlite:///{path}")
    try:
        before = _pages_in_file(path)
        IdentityService(store, Settings()).ingest_events(_events(2_000))
        # Far below the writer's autocheckpoint (40,000 pages): only the thread copies it.
        deadline = time.monotonic() + 20
        while _pages_in_file(path) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _pages_in_file(path) > before
    finally:
        store.close()


def test_closing_the_store_stops_its_checkpoint_thread(tmp_path: Path) -> None:
    def running() -> int:
        return sum(t.name == "sqlite-checkpoint" for t in threading.enumerate())

    already = running()
    store = SQLiteStore(f"sqlite:///{tmp_path / 'graph.db'}")
    IdentityService(store, Settings()).ingest_events(_events(10))
    assert running() == already + 1
    store.close()
    assert running() == already
