"""Write admission: one write unit of work at a time per store and process, and a bounded
wait for the turn.

Both stores apply batches one at a time anyway (SQLite has one writer; Neo4j units of work
lock one node first), so threads of the API that write at once would only queue inside the
database, each holding a connection, for as long as the queue is. Here they queue in the
process instead, and one that does not get its turn within `wait` seconds raises `Busy`
(the API answers 503 with Retry-After) rather than hanging its client.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from identity_graph.errors import Busy, MemoryFull, TooLarge, TransientStoreError

T = TypeVar("T")

#: The default wait for a write's turn, in seconds (`write_wait_seconds` of the runtime).
DEFAULT_WRITE_WAIT = 5.0


def busy(where: str, wait: float) -> Busy:
    """The error of a write that waited `wait` seconds for its turn in vain."""
    return Busy(
        f"{where} is busy: a write waited {wait:g} s for its turn; nothing was written, "
        "retry later",
        retry_after=max(1, math.ceil(wait / 2)),
    )


class WriteGate:
    """The turn of one writer at a time; `waiting` is how many wait for it now."""

    def __init__(self, wait: float, where: str) -> None:
        if not wait > 0:
            raise ValueError("the write wait must be positive")
        self.wait = wait
        self._where = where
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn for the block; Busy if it does not come within `wait` seconds."""
        with self._count:
            self._waiting += 1
        try:
            got = self._lock.acquire(timeout=self.wait)
        finally:
            with self._count:
                self._waiting -= 1
        if not got:
            raise busy(self._where, self.wait)
        try:
            yield
        finally:
            self._lock.release()

    def close(self, timeout: float) -> bool:
        """Let the write in progress, if any, finish (up to `timeout` seconds), then keep the
        turn for good: the store closes next, and later writes get Busy, not a closed
        connection. True if no write was cut short."""
        return self._lock.acquire(timeout=timeout)


#: How often a unit of work that failed transiently runs in all, and the first pause.
TRANSIENT_ATTEMPTS = 4
_FIRST_PAUSE = 0.05


def retry_transient(work: Callable[[], T], attempts: int = TRANSIENT_ATTEMPTS) -> T:
    """`work()` (one whole unit of work), run again after a `TransientStoreError` with a
    doubling pause, at most `attempts` times in all; then Busy. Only for work that is safe
    to repeat: a transient failure rolled the unit of work back."""
    for attempt in range(attempts):
        try:
            return work()
        except TransientStoreError as exc:
            if attempt == attempts - 1 and isinstance(exc, MemoryFull):
                # Out of memory every time: the unit of work is too large, and a client
                # retrying a 503 would loop forever.
                raise TooLarge(exc.args[0].splitlines()[0]) from None
            if attempt == attempts - 1:
                raise Busy(
                    f"the store failed transiently {attempts} times in a row; nothing was "
                    f"written, retry later ({exc.args[0].splitlines()[0]})"
                ) from None
            time.sleep(_FIRST_PAUSE * 2**attempt)
    raise AssertionError("unreachable")  # attempts >= 1
