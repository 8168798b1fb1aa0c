"""WAL checkpoints on a thread of their own, off the writer's commit path.

SQLite copies committed WAL frames back into the database file in a checkpoint, run by
default inside the COMMIT that crosses `wal_autocheckpoint` pages: a large ingest batch then
waits for the copy and its fsync. Here a daemon thread with its own connection runs a
PASSIVE checkpoint after commits (at most one per `interval`), while the writer goes on: a
checkpoint never blocks the writer or readers, and sqlite3 releases the GIL while it runs, so
it overlaps with parsing on the other core. The writer keeps a large `wal_autocheckpoint`
as a backstop in case this thread falls behind.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"


class Checkpointer:
    def __init__(self, connect: Callable[[], sqlite3.Connection], interval: float = 0.5) -> None:
        self._connect = connect
        self._interval = interval
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.running = threading.Lock()  # held while a checkpoint runs: see `held`

    def committed(self) -> None:
        """A transaction committed: checkpoint soon."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpoint", daemon=True
                    )
                    self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        conn = self._connect()
        while True:
            self._wanted.wait()
            if self._stop.is_set():
                break
            self._wanted.clear()
            # Busy (another process's checkpoint) or a closing store: the next commit asks
            # again, and the writer's autocheckpoint stays the backstop.
            with self.running, suppress(sqlite3.Error):
                conn.execute(CHECKPOINT).fetchone()
            if self._stop.wait(self._interval):
                break
        conn.close()

    @contextmanager
    def held(self) -> Iterator[None]:
        """No checkpoint of this thread runs inside: a TRUNCATE checkpoint of the store's
        own would be refused as busy while one does."""
        with self.running:
            yield

    def close(self) -> None:
        """Stop the thread (it finishes a checkpoint in progress first)."""
        with self._lock:
            self._stop.set()
            thread = self._thread
        self._wanted.set()
        if thread is not None:
            thread.join()
