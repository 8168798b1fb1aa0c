"""A stream ingest collects garbage less often while it runs, and leaves the process's
collector as it found it: after success, after a rejected batch, and when streams nest or
run in two threads at once."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from identity_graph.collector import fewer_collections
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import StreamRejected
from identity_graph.stores.sqlite import SQLiteStore

GOOD = {"type": "identify", "messageId": "m1", "anonymousId": "c1", "userId": "u1"}


def _items(*events: object) -> list[tuple[int, object, int]]:
    return [(n, e, 10) for n, e in enumerate(events, start=1)]


def test_thresholds_raised_during_a_stream_and_restored_after(tmp_path: Path) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    service = IdentityService(SQLiteStore(f"sqlite:///{tmp_path / 'g.db'}"), Settings())
    try:
        service.ingest_stream(
            _items(GOOD),
            service.event_parser(),
            after_batch=lambda batch: seen.append(gc.get_threshold()),
        )
        assert seen and seen[0][0] > before[0]
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
        with pytest.raises(StreamRejected):
            service.ingest_stream(_items({"type": "nonsense"}), service.event_parser())
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
    finally:
        service.store.close()


def test_nested_and_concurrent_streams_restore_once_the_last_ends() -> None:
    before = gc.get_threshold()
    inner_started, outer_may_end = threading.Event(), threading.Event()

    def other() -> None:
        with fewer_collections():
            inner_started.set()
            outer_may_end.wait(10)

    with fewer_collections():
        thread = threading.Thread(target=other)
        thread.start()
        inner_started.wait(10)
        with fewer_collections():
            pass
        assert gc.get_threshold() != before
    assert gc.get_threshold() != before  # the other thread's stream still runs
    outer_may_end.set()
    thread.join()
    assert gc.get_threshold() == before


def test_a_server_freeze_is_kept_through_streams() -> None:
    """`freeze_long_lived` (what `serve` runs once its service is built) is not undone when
    a stream ends. In a child process: the freeze lasts as long as the process."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import gc
        from identity_graph.collector import fewer_collections, freeze_long_lived
        held = [[] for _ in range(1000)]
        freeze_long_lived()
        frozen = gc.get_freeze_count()
        assert frozen >= 1000, frozen
        with fewer_collections():
            assert gc.get_threshold()[0] > 700
        assert gc.get_freeze_count() == frozen, (gc.get_freeze_count(), frozen)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
