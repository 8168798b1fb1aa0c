"""Fewer cyclic garbage collections: while a stream is ingested, and in a server.

Parsing allocates millions of short-lived dicts and tuples, freed by reference counting;
the cyclic collector still scans them, and every object alive (a batch of observations, the
normalization cache) at each collection. Raised thresholds were not enough: a batch keeps
hundreds of thousands of objects alive, so young collections kept walking it, and an ingest
of 200,000 events spent 5.9 s of its 77 s collecting (0.4 s now, outside the stream;
bench/RESULTS.md). Ingest data holds no reference cycles worth collecting early, so for the
duration of a stream the objects already alive are frozen and automatic collection is off.
The stream reports the items it ingested (`advanced`), and every `COLLECT_EVERY_ITEMS` of
them one full collection frees whatever cycles did form, so memory stays bounded on a
stream of any length. The setting is process-wide: nested and concurrent streams share it,
restored when the last one ends.

A server freezes what it holds once built (`freeze_long_lived`): the app, its routes and
models, the store's caches. They live as long as the process, and each full collection
would otherwise walk them all: at 1,000 lookups/s that showed as the slowest responses.
Streams then leave that freeze in place.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A full collection walks every unfrozen object: the one at 1,000,000 events took about
# 0.3 s here, well under 1% of ingesting them.
COLLECT_EVERY_ITEMS = 1_000_000
_lock = threading.Lock()
_depth = 0
_saved_enabled = gc.isenabled()
_since_collection = 0
_frozen_for_good = False
_stream_froze = False


def freeze_long_lived() -> None:
    """Collect once, then keep every object alive now out of all later collections."""
    global _frozen_for_good
    with _lock:
        gc.collect()
        gc.freeze()
        _frozen_for_good = True


@contextmanager
def fewer_collections() -> Iterator[None]:
    """No automatic collection inside; the stream calls `advanced` as it goes."""
    global _depth, _saved_enabled, _stream_froze
    with _lock:
        if _depth == 0:
            _saved_enabled = gc.isenabled()
            _stream_froze = not _frozen_for_good
            if _stream_froze:
                gc.freeze()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                if _saved_enabled:
                    gc.enable()
                # Not after `freeze_long_lived`: unfreezing would undo the server's freeze.
                if _stream_froze and not _frozen_for_good:
                    gc.unfreeze()


def advanced(items: int) -> None:
    """A stream ingested `items` more: collect in full once per `COLLECT_EVERY_ITEMS`,
    counted over all streams of the process."""
    global _since_collection
    with _lock:
        _since_collection += items
        due = _since_collection >= COLLECT_EVERY_ITEMS
        if due:
            _since_collection = 0
    if due:
        gc.collect()
