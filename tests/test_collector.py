"""A stream ingest turns automatic garbage collection off while it runs, collects in full
once per `COLLECT_EVERY_ITEMS` items it ingested, and leaves the process's collector as it
found it: after success, after a rejected batch, and when streams nest or run in two
threads at once."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import pytest

from identity_graph import collector
from identity_graph.collector import fewer_collections
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import StreamRejected
from identity_graph.stores.sqlite import SQLiteStore

GOOD = {"type": "identify", "messageId": "m1", "anonymousId": "c1", "userId": "u1"}


def _items(*events: object) -> list[tuple[int, object, int]]:
    return [(n, e, 10) for n, e in enumerate(events, start=1)]


def _service(tmp_path: Path) -> IdentityService:
    return IdentityService(SQLiteStore(f"sqlite:///{tmp_path / 'g.db'}"), Settings())


def test_collection_off_during_a_stream_and_restored_after(tmp_path: Path) -> None:
    assert gc.isenabled()
    seen: list[bool] = []
    service = _service(tmp_path)
    try:
        service.ingest_stream(
            _items(GOOD),
            service.event_parser(),
            after_batch=lambda batch: seen.append(gc.isenabled()),
        )
        assert seen == [False]
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
        with pytest.raises(StreamRejected):
            service.ingest_stream(_items({"type": "nonsense"}), service.event_parser())
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        service.store.close()


def test_a_collector_turned_off_before_the_stream_stays_off(tmp_path: Path) -> None:
    service = _service(tmp_path)
    gc.disable()
    try:
        service.ingest_stream(_items(GOOD), service.event_parser())
        assert not gc.isenabled()
    finally:
        gc.enable()
        service.store.close()


class _Node:
    """Garbage in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_cycles_made_during_a_long_stream_are_collected_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Automatic collection is off, so only the stream's own full collections (one per
    COLLECT_EVERY_ITEMS items) free cycles: memory stays bounded on any length of stream."""
    monkeypatch.setattr(collector, "COLLECT_EVERY_ITEMS", 4)
    monkeypatch.setattr(collector, "_since_collection", 0)
    made: list[weakref.ref[_Node]] = []
    alive_at_batch: list[int] = []

    def after_batch(batch: object) -> None:
        alive_at_batch.append(sum(r() is not None for r in made))
        made.append(weakref.ref(_Node()))

    events = [{**GOOD, "messageId": f"m{n}", "anonymousId": f"c{n}"} for n in range(12)]
    service = _service(tmp_path)
    try:
        service.ingest_stream(
            _items(*events), service.event_parser(), batch_size=1, after_batch=after_batch
        )
    finally:
        service.store.close()
    # `after_batch` runs before the batch is counted: the cycles of 4 batches pile up, then
    # the collection after every fourth frees them.
    assert alive_at_batch == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]


def test_nested_and_concurrent_streams_restore_once_the_last_ends() -> None:
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
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's stream still runs
    outer_may_end.set()
    thread.join()
    assert gc.isenabled()


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
            assert not gc.isenabled()
        assert gc.get_freeze_count() == frozen, (gc.get_freeze_count(), frozen)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
