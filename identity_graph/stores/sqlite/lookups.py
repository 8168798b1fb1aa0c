"""Read-only connections for profile lookups, beside the store's own.

A lookup needs nothing the store's reader connections have (the writer's pragmas, the
shared registry they are closed from): one `mode=ro` connection per thread of the
process, opened on its first lookup, which in an API worker means after the worker
started (a connection must never cross a fork). Each `reader()` block is one read
transaction, so every lookup sees the writer's latest commit (WAL), whichever process
made it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from identity_graph.errors import StoreError
from identity_graph.stores.sqlite.reads import SQLiteReads
from identity_graph.stores.sqlite.store import READER_CACHE


class ReadOnlyLookups:
    """`reader()` over a read-only connection to the SQLite file at `path`; read on the
    event loop (`inline`, see `stores.lookups`)."""

    inline = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._uri = f"{path.resolve().as_uri()}?mode=ro"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            conn = sqlite3.connect(
                self._uri, uri=True, isolation_level=None, check_same_thread=False
            )
            conn.execute(READER_CACHE)  # the store's own readers' cache
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path} to read: {exc}") from exc
        self._local.conn, self._local.pid = conn, os.getpid()
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def reader(self) -> Iterator[SQLiteReads]:
        """One read transaction (a lookup's reads never nest)."""
        c = self._connection()
        try:
            c.execute("BEGIN")
            try:
                yield SQLiteReads(c)
            finally:
                c.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
