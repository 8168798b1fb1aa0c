"""Bounds on what a caller may send, checked before anything is stored, cached or recursed
into. Every limit here is in README.md ("Batches and errors"), and every refusal names the
field and the reason, never the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sized
from typing import Final

# An ID that reaches the store as it was sent: messageId, the product, campaign or case ID
# of activity, an event name.
MAX_ID: Final = 256
# Any other string of an event (a trait, a property, a context field) or a record attribute.
MAX_TEXT: Final = 4096
# A key of an object anywhere in an event.
MAX_KEY: Final = 256
# Objects and lists nested inside an event (the event itself is level 1).
MAX_DEPTH: Final = 16
# Entries of one object or list: checked with len() first, so a 100,000-key `properties`
# costs nothing to refuse.
MAX_ENTRIES: Final = 1000
# Values in one event, counted as the walk goes, so that it stops there.
MAX_VALUES: Final = 10_000
# Integers beyond this lose precision as JSON numbers in most clients and in Neo4j floats.
MAX_INT: Final = 2**53


class _Refused(Exception):
    def __init__(self, reason: str, whole: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.whole = whole  # about the value as a whole, not one place in it
        self.steps: list[object] = []


def json_problem(value: object, field: str) -> tuple[str, str] | None:
    """The first (field path, reason) that breaks the limits above, or None.

    On the ingest hot path (a few microseconds for a usual event): recursion is bounded by
    MAX_DEPTH and the work by MAX_VALUES whatever the input."""
    try:
        _walk(value, 1, [MAX_VALUES])
    except _Refused as exc:
        if exc.whole:
            return field, exc.reason
        out = field
        for step in reversed(exc.steps):
            out = _join(out, step)
        return out, exc.reason
    return None


def _join(path: str, step: object) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else str(step)


def _walk(item: object, depth: int, budget: list[int]) -> None:
    # `type(x) is` rather than isinstance: exact JSON types, and the fastest test there is.
    if type(item) is dict:
        _entries(item, item.items(), True, depth, budget)
    elif type(item) is list:
        _entries(item, enumerate(item), False, depth, budget)
    elif type(item) is str:
        if len(item) > MAX_TEXT:
            raise _Refused(f"longer than {MAX_TEXT} characters")
    elif type(item) is float:
        if not math.isfinite(item):
            raise _Refused("must be a finite number")
    elif type(item) is int and abs(item) > MAX_INT:
        raise _Refused(f"must be within ±{MAX_INT}")


def _entries(
    item: Sized,
    entries: Iterable[tuple[object, object]],
    keyed: bool,
    depth: int,
    budget: list[int],
) -> None:
    if depth >= MAX_DEPTH:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
    if len(item) > MAX_ENTRIES:
        raise _Refused(f"has more than {MAX_ENTRIES} entries")
    budget[0] -= len(item)
    if budget[0] < 0:
        raise _Refused(f"holds more than {MAX_VALUES} values", whole=True)
    for key, value in entries:
        if keyed and (type(key) is not str or len(key) > MAX_KEY):
            raise _Refused(f"has a key longer than {MAX_KEY} characters")
        # Strings, None and booleans are most values: checked here, without a call.
        if type(value) is str:
            if len(value) <= MAX_TEXT:
                continue
        elif value is None or type(value) is bool:
            continue
        try:
            _walk(value, depth + 1, budget)
        except _Refused as exc:
            exc.steps.append(key)
            raise
