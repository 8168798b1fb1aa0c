"""Bounds on what a caller may send, checked before anything is stored, cached or recursed
into. Every limit here is in README.md ("Batches and errors"), and every refusal names the
field and the reason, never the value.
"""

from __future__ import annotations

import math
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
        self.steps: list[str | int] = []


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


def _join(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


def _walk(item: object, depth: int, budget: list[int]) -> None:
    kind = type(item)
    if kind is dict or kind is list:
        assert isinstance(item, dict | list)
        if depth >= MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        if len(item) > MAX_ENTRIES:
            raise _Refused(f"has more than {MAX_ENTRIES} entries")
        budget[0] -= len(item)
        if budget[0] < 0:
            raise _Refused(f"holds more than {MAX_VALUES} values", whole=True)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, v in pairs:
            if kind is dict and (type(key) is not str or len(key) > MAX_KEY):
                raise _Refused(f"has a key longer than {MAX_KEY} characters")
            # Strings are most values: checked here without a call.
            if type(v) is str:
                if len(v) <= MAX_TEXT:
                    continue
                exc = _Refused(f"longer than {MAX_TEXT} characters")
                exc.steps.append(key)
                raise exc
            if v is None or type(v) is bool:
                continue
            try:
                _walk(v, depth + 1, budget)
            except _Refused as exc:
                exc.steps.append(key)
                raise
    elif kind is float:
        assert isinstance(item, float)
        if not math.isfinite(item):
            raise _Refused("must be a finite number")
    elif kind is int:
        assert isinstance(item, int)
        if abs(item) > MAX_INT:
            raise _Refused(f"must be within ±{MAX_INT}")
    elif kind is str:
        assert isinstance(item, str)
        if len(item) > MAX_TEXT:
            raise _Refused(f"longer than {MAX_TEXT} characters")
