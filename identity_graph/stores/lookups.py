"""Where profile lookups read, and whether they may read on the event loop.

An embedded store's read of a profile is CPU work of a fraction of a millisecond: handed
to a thread pool it would wait for a thread and the GIL longer than it runs, so the API
runs it on the event loop (`inline`), over read-only connections of its own. A networked
store's read waits for round trips, during which the loop must serve others: it runs on
a thread.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from identity_graph.stores.contract import GraphStore, StoreReader
from identity_graph.stores.sqlite import SQLiteStore
from identity_graph.stores.sqlite.lookups import ReadOnlyLookups


class LookupReads(Protocol):
    inline: bool

    def reader(self) -> AbstractContextManager[StoreReader]: ...

    def close(self) -> None: ...


class StoreLookups:
    """The store's own reader, off the event loop."""

    inline = False

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def reader(self) -> AbstractContextManager[StoreReader]:
        return self._store.reader()

    def close(self) -> None:
        """Nothing of its own to close: the store's connections are closed with the store."""


def lookup_reads(store: GraphStore) -> LookupReads:
    if isinstance(store, SQLiteStore):
        return ReadOnlyLookups(store.path)
    return StoreLookups(store)
