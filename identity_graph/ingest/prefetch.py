"""Run a producer a few items ahead, in a thread.

Ingest parses the next batch while the store writes the current one: SQLite and the Neo4j
driver's network I/O release the GIL, so the two overlap on two cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class _Done:
    """End of the items: a class of its own, so no item can be mistaken for it."""


_DONE = _Done()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield `items` in order, produced up to `depth` ahead by a background thread.
    An exception in the producer is raised here; closing this iterator stops it."""
    q: queue.Queue[T | _Done | _Failed] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: T | _Done | _Failed) -> bool:
        while not stop.is_set():
            try:
                q.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))

    worker = threading.Thread(target=run, name="ingest-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            value = q.get()
            if isinstance(value, _Done):
                return
            if isinstance(value, _Failed):
                raise value.exc
            yield value
    finally:
        stop.set()
        worker.join()
