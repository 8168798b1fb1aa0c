"""The one storage boundary: `GraphStore` (reads, and a write unit of work) and `StoreTx`.

The core decides, the store applies: inside `unit_of_work()` the core reads the state it
needs to decide, then hands the store one `ChangeSet`. Leaving the block commits; an
exception rolls everything back, so a batch is applied whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar, runtime_checkable

from identity_graph.stores.rows import AuditRow, ChangeSet, IdentifierState, ReviewRow
from identity_graph.views import (
    ActivityItem,
    Identifier,
    Link,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)

T = TypeVar("T")

#: What `export`/`import_rows` move between stores, in the order a copy writes them (persons
#: before the identifiers that belong to them, identifiers before their links, activity,
#: records). Each kind's rows are plain dicts, the same shape from every store:
#:   messages        message_id, at
#:   persons         person_id, created_at, updated_at, merged_into
#:   identifiers     key, type, value, person_id, first_seen, last_seen, is_hub (bool),
#:                   hub_reason, joined (list of person IDs)
#:   links           a, b, weight, kind, sources (list), evidence (JSON text), count,
#:                   first_seen, last_seen, status
#:   lineage         from_id, to_id, kind (MERGED_INTO | SPLIT_FROM), at, reason
#:   activity        key, kind, target_type, target_id, count, first_at, last_at, amount
#:   records         source, record_id, key, attributes (JSON text), observed_at
#:   refused_merges  seq, a, b, person_a, person_b, rule, reason, at
#:   reviews         a, b, probability, evidence, fingerprint, status, created_at,
#:                   decided_at, decided_by, comment
#:   audit           seq, at, actor, action, subject, detail
#:   models          version, created_at, body
#: `seq` orders the append-only rows (newest = largest) and is their identity in a copy.
EXPORT_KINDS: tuple[str, ...] = (
    "messages",
    "persons",
    "identifiers",
    "links",
    "lineage",
    "activity",
    "records",
    "refused_merges",
    "reviews",
    "audit",
    "models",
)


class PersonInfo(Protocol):
    person_id: str
    created_at: str
    updated_at: str
    merged_into: str | None


@runtime_checkable
class StoreTx(Protocol):
    """Reads inside the write transaction (they see the transaction's own writes)."""

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]: ...

    def identifier_states(self, keys: Sequence[str]) -> dict[str, IdentifierState]: ...

    def person_type_counts(self, person_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """person_id -> identifier type -> number of identifiers of that type."""
        ...

    def link_statuses(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Existing links among `pairs` (each `a < b`) -> status."""
        ...

    def cannot_links(self, person_ids: Sequence[str]) -> list[tuple[str, str]]:
        """Pairs of persons (one of them in `person_ids`) that hold the two ends of a
        cannot-link: a steward decided they are different people."""
        ...

    def reviews_by_pair(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ReviewRow]:
        """Review-queue rows (any status) for these pairs (each `a < b`)."""
        ...

    def save_model(self, version: str, created_at: str, body: str) -> None: ...

    def person_graph(self, person_id: str) -> tuple[list[tuple[str, bool]], list[Link]]:
        """The person's identifiers as (key, is_hub) and the links among them."""
        ...

    def apply(self, changes: ChangeSet) -> None: ...

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert rows of one `EXPORT_KINDS` kind as another store exported them, by their
        identity (key, pair, seq, ...): importing the same rows again changes nothing."""
        ...


@runtime_checkable
class GraphStore(Protocol):
    url: str

    def close(self) -> None: ...

    def unit_of_work(self) -> AbstractContextManager[StoreTx]: ...

    def reset(self) -> None:
        """Delete every node, edge and row (tests, demo re-runs); keeps the schema."""
        ...

    def person(self, person_id: str) -> PersonInfo | None: ...

    def identifier(self, key: str) -> tuple[Identifier, str] | None:
        """The identifier and its current person ID."""
        ...

    def person_identifiers(self, person_id: str) -> list[Identifier]: ...

    def person_links(self, person_id: str) -> list[Link]: ...

    def activity(self, keys: Sequence[str]) -> list[ActivityItem]: ...

    def records(self, keys: Sequence[str]) -> list[SourceRecord]: ...

    def refused_merges(self, limit: int = 100) -> list[RefusedMerge]: ...

    def hubs(self, limit: int = 100) -> list[Identifier]: ...

    def stats(self) -> StoreStats: ...

    def all_records(self) -> Iterator[SourceRecord]:
        """Every source record, streamed (training and blocking read them all)."""
        ...

    def latest_model(self) -> tuple[str, str] | None:
        """(version, JSON body) of the newest saved match model."""
        ...

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int = 0,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> list[ReviewRow]:
        """Review-queue rows, highest probability first."""
        ...

    def count_reviews(self, status: str | None) -> int: ...

    def review(self, a: str, b: str) -> ReviewRow | None:
        """One review-queue row (any status) of the pair `a < b`, read outside any write."""
        ...

    def audit_log(self, limit: int = 100, subject: str | None = None) -> list[AuditRow]:
        """Newest first."""
        ...

    def links_touching(self, keys: Sequence[str]) -> list[Link]:
        """Every link with an end in `keys`."""
        ...

    def assignments(self) -> Iterator[tuple[str, str]]:
        """Every (identifier key, person ID), streamed: evaluation and export read it."""
        ...

    def export(self, kind: str) -> Iterator[dict[str, object]]:
        """Every row of one `EXPORT_KINDS` kind, streamed (see EXPORT_KINDS for shapes)."""
        ...

    def row_counts(self) -> dict[str, int]:
        """Number of rows of each `EXPORT_KINDS` kind, as `export` would yield them."""
        ...


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])
