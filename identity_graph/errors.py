"""One root exception; every error a user can cause says what and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from identity_graph.views import LineageStep


class IdentityGraphError(Exception):
    """Root of every error this package raises on purpose."""


class ConfigError(IdentityGraphError):
    """A setting or a store URL is wrong."""


def describe_validation(exc: ValidationError, root: str) -> str:
    """pydantic's errors as `field.path: message; ...`, for a ConfigError a person reads."""
    return "; ".join(
        f"{'.'.join(str(x) for x in e['loc']) or root}: {e['msg']}" for e in exc.errors()
    )


class NotFoundError(IdentityGraphError):
    """A person or identifier that the caller named does not exist."""


class GoneError(IdentityGraphError):
    """A person ID that was given out and is deleted now: all its evidence was removed (not
    erased). `lineage`, `split_from` and `split_into` say how the ID got there (their
    values are person IDs, never personal data)."""

    def __init__(
        self,
        message: str,
        person_id: str,
        lineage: list[LineageStep],
        split_from: str | None = None,
        split_into: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.person_id = person_id
        self.lineage = lineage
        self.split_from = split_from
        self.split_into = split_into or []


class ConflictError(IdentityGraphError):
    """The request contradicts the current state (e.g. a pair already decided)."""


class StoreError(IdentityGraphError):
    """The backing store failed; the query text is attached when there is one."""

    def __init__(self, message: str, query: str | None = None) -> None:
        super().__init__(message if query is None else f"{message}\nquery: {query}")
        self.query = query


class Busy(StoreError):
    """A write could not start within the configured wait (another write held the store),
    or the store kept failing transiently: nothing of it was written; retrying after
    `retry_after` seconds is safe (replays change nothing)."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(StoreError):
    """One unit of work kept needing more memory than the store allows (Neo4j's transaction
    memory pool): nothing was written, and the same batch would most likely fail again, so
    it is final (413), not "busy"; smaller batches, or a store allowed more memory, get in."""


class TransientStoreError(StoreError):
    """The store failed in a way that may pass (a deadlock, a lock timeout, a leader
    switch); the unit of work was rolled back, so running it again is safe."""


class MemoryFull(TransientStoreError):
    """The store's transaction memory pool was full. The pool is shared by every
    transaction, so it may pass (retried like any transient failure); when it does not, the
    unit of work itself is too large (`TooLarge`)."""


class InvalidValue(IdentityGraphError):
    """One value cannot become an identifier (malformed, not a placeholder)."""


class InvalidField(InvalidValue):
    """A request field that cannot be acted on (a 422 naming `field`, e.g. `groups[1][0]`):
    the message names the field and the reason, never the value."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ItemError:
    """What is wrong with one item of a batch: where (position, field) and why."""

    position: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"item {self.position}: {self.field}: {self.reason}"


class BatchRejected(IdentityGraphError):
    """A batch had bad items; nothing of it was written. Lists every bad item."""

    def __init__(self, errors: list[ItemError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"batch rejected, {len(errors)} bad item(s): {shown}{more}")


class SegmentError(IdentityGraphError):
    """A segment expression is not valid: `path` is where in the expression (e.g.
    `and[2].not.exposed.at_least`); the message starts with it and never quotes a value."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class Unauthenticated(IdentityGraphError):
    """No API key, or one this service does not know (or has revoked)."""


class Forbidden(IdentityGraphError):
    """A known API key whose role or scope does not allow this."""
