"""What one ingested item says, after parsing and normalization, before any graph decision."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from identity_graph.errors import ItemError
from identity_graph.ids import IdentifierKey


@dataclass(slots=True)
class Observation:
    position: int
    message_id: str
    at: str
    source: str
    # (key, type, value), distinct keys, in the order they appeared
    identifiers: list[tuple[IdentifierKey, str, str]] = field(default_factory=list)
    # (kind, target_type, target_id, amount), attached to `activity_key`
    activity: list[tuple[str, str, str, float]] = field(default_factory=list)
    # (purpose, granted) consent signals at `at` from `source`, attached to `activity_key`
    consent: list[tuple[str, bool]] = field(default_factory=list)
    # The one identifier the item's activity and consent hang off (`owner_key`)
    activity_key: IdentifierKey | None = None
    # (source, record_id, key, attributes JSON) for CRM/loyalty records
    record: tuple[str, str, IdentifierKey, str] | None = None
    placeholders: int = 0


@dataclass(slots=True)
class ParseResult:
    observation: Observation | None
    errors: list[ItemError]
    # Fields left out of a kept item (a lenient record parser's malformed values).
    dropped: list[ItemError] = field(default_factory=list)


def utc_now() -> str:
    return format_ts(datetime.now(UTC))


def format_ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # isoformat pads the year to four digits (strftime's %Y does not on every platform), so
    # the text sorts as the time does.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# Evidence older than the Unix epoch is a default or a typo (0001-01-01, a 0 parsed as
# year 0), never a customer's visit.
EARLIEST_TS = "1970-01-01T00:00:00.000000Z"


class TimeWindow:
    """Accepted times of evidence: from EARLIEST_TS to `ahead_seconds` past this machine's
    clock (a client's clock runs ahead; year 9999 is not a clock, it would be `last_seen`
    for ever)."""

    def __init__(self, ahead_seconds: int) -> None:
        self._ahead = timedelta(seconds=ahead_seconds)
        # The latest accepted time only grows: recomputed only when a time lies beyond it.
        self._latest = ""

    def problem(self, at: str) -> str | None:
        """Why a canonical UTC timestamp lies outside the window, or None."""
        if at < EARLIEST_TS:
            return "before 1970-01-01T00:00:00Z"
        if at > self._latest:
            self._latest = format_ts(datetime.now(UTC) + self._ahead)
            if at > self._latest:
                return f"more than {self._ahead.total_seconds() / 3600:g} h in the future"
        return None


# Canonical UTC text with 0-6 fraction digits: by far the most common form on the wire, so it
# skips datetime parsing (a third of the per-event cost) and is only padded.
_UTC_Z = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$"
)


def parse_ts(raw: object) -> str:
    """ISO-8601 (with `Z` or an offset) to the canonical UTC text. Raises ValueError."""
    if not isinstance(raw, str):
        raise ValueError(f"expected an ISO-8601 string, got {type(raw).__name__}")
    if _UTC_Z.match(raw) and raw[8:10] <= "28":
        head, _, frac = raw[:-1].partition(".")
        return f"{head}.{frac:0<6}Z"
    try:
        return format_ts(datetime.fromisoformat(raw.strip()))
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {raw[:40]!r}") from None
    except OverflowError:
        # 0001-01-01T00:00+01:00 or 9999-12-31T23:00-05:00 has no UTC time.
        raise ValueError(f"out of range in UTC: {raw[:40]!r}") from None
