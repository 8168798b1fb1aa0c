"""The one storage boundary: `StoreReader` (batch reads), `StoreTx` (reads + one write) and
`GraphStore` (opens them).

The core decides, the store applies: inside `unit_of_work()` the core reads the state it
needs through the transaction's `StoreReader` methods (they see the transaction's own
writes), then hands the store `ChangeSet`s of final rows (`rows.ChangeSet` documents what
`apply` does with each field, and in which order). Leaving the block commits; an exception
rolls everything back, so a unit of work is applied whole or not at all. Outside a write,
`reader()` gives the same reads over one consistent snapshot.

Every read is a batch: it takes the keys, person IDs or pairs it is about and costs a
bounded number of queries whatever their number (never one per item). Keys or IDs the
store does not hold are absent from the answer, never an error. Every failure of the
backing store is a `StoreError` whose message holds query text or names, never values
(values are personal data).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, runtime_checkable

from identity_graph.audit import AuditFilter
from identity_graph.ids import IdentifierKey, Pair, PersonId
from identity_graph.stores.rows import (
    ApiKeyRow,
    AuditRow,
    BatchInfo,
    ChangeSet,
    DestinationRow,
    HubStateRow,
    LedgerRow,
    LineageRow,
    LinkRow,
    Person,
    ProvenanceRow,
    ReviewRow,
    SegmentRow,
    StoredIdentifier,
)
from identity_graph.views import (
    ActivityItem,
    ConsentSignal,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)

if TYPE_CHECKING:  # the compilers import this module: only their types are needed here
    from identity_graph.segments.ast import Expr
    from identity_graph.segments.context import EvalContext

T = TypeVar("T")

#: What `scan`/`import_rows` move between stores, in the order a copy writes them (persons
#: before the identifiers that belong to them, identifiers before their links, activity,
#: records). Each kind's rows are plain dicts, the same shape from every store:
#:   messages        message_id, at
#:   persons         person_id, created_at, updated_at, merged_into
#:   identifiers     key, type, value, person_id, first_seen, last_seen, is_hub (bool),
#:                   hub_reason, joined (list of person IDs)
#:   links           a, b, weight, kind, sources (list), evidence (JSON text), count,
#:                   first_seen, last_seen, status
#:   lineage         from_id, to_id, kind (MERGED_INTO | SPLIT_FROM), at, reason
#:   activity        key, kind, target_type, target_id, day, count, first_at, last_at, amount
#:   records         source, record_id, key, attributes (JSON text), observed_at
#:                   (in (source, record_id) order: training is deterministic for it)
#:   consent         key, purpose, granted (bool), source, at
#:   refused_merges  seq, a, b, person_a, person_b, rule, reason, at
#:   reviews         a, b, probability, evidence, fingerprint, status, created_at,
#:                   decided_at, decided_by, comment
#:   audit           seq, at, actor, action, subject, detail
#:   models          version, created_at, body
#:   tombstones      digest, at
#:   segments        name, body (JSON text), created_at, updated_at
#:   destinations    name, platform, segment, created_at, gen, last_export_at, lease, lease_at
#:   ledger          destination, digest, row (JSON text), person_id, sent_gen, seen_gen
#:   api_keys        name, role, digest, segments (list), destinations (list), created_at,
#:                   revoked_at
#:   provenance      pk, batch_id, kind, source, key, other, count, amount, at
#:   hub_states      key, state, reason, at, actor
#: `seq` orders the append-only rows (newest = largest) and is their identity in a copy.
EXPORT_KINDS: tuple[str, ...] = (
    "messages",
    "persons",
    "identifiers",
    "links",
    "lineage",
    "activity",
    "records",
    "consent",
    "refused_merges",
    "reviews",
    "audit",
    "models",
    "tombstones",
    "segments",
    "destinations",
    "ledger",
    "api_keys",
    "provenance",
    "hub_states",
)


@runtime_checkable
class StoreReader(Protocol):
    """Batch reads, the same inside a write transaction and over a read snapshot."""

    def identifiers(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, StoredIdentifier]:
        """The stored identifiers among `keys`, with person, hub state and `joined`."""
        ...

    def persons(self, person_ids: Sequence[PersonId]) -> dict[PersonId, Person]:
        """Person rows, merged ones included (`merged_into` set)."""
        ...

    def lineage(self, person_ids: Sequence[PersonId]) -> list[LineageRow]:
        """Every lineage row with `from_id` or `to_id` among `person_ids`, each once,
        ordered by (at, from_id, to_id, kind): what a durable ID resolves through."""
        ...

    def members(self, person_ids: Sequence[PersonId]) -> dict[PersonId, list[StoredIdentifier]]:
        """The identifiers of each person, ordered by (type, value); a person without
        identifiers (merged, or unknown) is absent."""
        ...

    def links(self, keys: Sequence[IdentifierKey]) -> list[LinkRow]:
        """Every link with an end in `keys`, each once, ordered by (a, b)."""
        ...

    def pair_links(self, pairs: Sequence[Pair]) -> dict[Pair, LinkRow]:
        """The stored links of exactly these pairs (each `a < b`)."""
        ...

    def person_links(
        self, person_ids: Sequence[PersonId], *, across: bool = False
    ) -> list[LinkRow]:
        """Links among the identifiers of each person (both ends in one person), ordered by
        (a, b); `across=True`: links whose ends belong to two different persons of
        `person_ids` instead. Linear in the persons' links, never in their size squared."""
        ...

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]:
        """The message IDs among these already ingested."""
        ...

    def activity(self, keys: Sequence[IdentifierKey]) -> list[ActivityItem]:
        """Activity of these identifiers, one item per UTC day, ordered by (key, kind,
        target_type, target_id, day)."""
        ...

    def consent(self, keys: Sequence[IdentifierKey]) -> list[ConsentSignal]:
        """The stored consent signal of these identifiers, one per (key, purpose) (the newest;
        on a tie, a denial), ordered by (key, purpose)."""
        ...

    def records(self, keys: Sequence[IdentifierKey]) -> list[SourceRecord]:
        """Source records of these identifiers, most recent first."""
        ...

    def type_counts(self, person_ids: Sequence[PersonId]) -> dict[PersonId, dict[str, int]]:
        """person_id -> identifier type -> number of identifiers of that type."""
        ...

    def cannot_links(self, person_ids: Sequence[PersonId]) -> list[tuple[PersonId, PersonId]]:
        """Pairs of persons (one of them in `person_ids`) that hold the two ends of a
        cannot-link: a steward decided they are different people."""
        ...

    def refused_merges(
        self, limit: int = 100, persons: Sequence[PersonId] = ()
    ) -> list[RefusedMerge]:
        """Refused merges, newest first; with `persons`, only those between two of them."""
        ...

    def hubs(self, limit: int = 100, persons: Sequence[PersonId] = ()) -> list[StoredIdentifier]:
        """Identifiers flagged as hubs (with `persons`, only theirs), ordered by key."""
        ...

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int = 0,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> list[ReviewRow]:
        """Review-queue rows (of one status, or any), highest probability first, then (a, b)."""
        ...

    def count_reviews(self, status: str | None) -> int: ...

    def review_pairs(self, pairs: Sequence[Pair]) -> dict[Pair, ReviewRow]:
        """Review-queue rows (any status) of these pairs (each `a < b`)."""
        ...

    def audit(
        self, limit: int = 100, subject: str | None = None, where: AuditFilter | None = None
    ) -> list[AuditRow]:
        """The audit trail, newest first: all of it, of one subject, or the rows `where`
        selects (see `AuditFilter`; `subject`, when given, replaces its subject). Rows
        found by person or identifier come from the store's index of each row's detail
        `persons`/`identifiers` lists (built at append time, `audit.mentions`), never from a
        scan of the trail."""
        ...

    def tombstones(self, digests: Sequence[str]) -> set[str]:
        """The tombstone digests among these (erased identifiers)."""
        ...

    def has_tombstones(self) -> bool:
        """Whether any tombstone is stored: ingest skips hashing keys while none is."""
        ...

    def tombstone_salt(self) -> bytes:
        """The deployment's tombstone salt: random, created with the store's schema, never
        in configuration; a copy between stores carries it (`ChangeSet.tombstone_salt`)."""
        ...

    def absorbed(self, person_ids: Sequence[PersonId]) -> set[PersonId]:
        """Every person ID merged into one of these, directly or along a chain of
        MERGED_INTO lineage (the old IDs that resolve to them); `person_ids` excluded."""
        ...

    def segments(self, names: Sequence[str] | None = None) -> list[SegmentRow]:
        """Stored segments (all, or those among `names`), ordered by name."""
        ...

    def destinations(self, names: Sequence[str] | None = None) -> list[DestinationRow]:
        """Destinations (all, or those among `names`), ordered by name."""
        ...

    def api_keys(self, names: Sequence[str] | None = None) -> list[ApiKeyRow]:
        """API keys (all, or those among `names`), revoked ones included, ordered by name."""
        ...

    def api_key(self, digest: str) -> ApiKeyRow | None:
        """The API key with this digest, revoked or not."""
        ...

    def ledger_delta(
        self,
        destination: str,
        gen: int,
        side: Literal["add", "remove"],
        after: str | None,
        limit: int,
    ) -> list[LedgerRow]:
        """A page of what export generation `gen` changes on `destination` (see `LedgerRow`):
        `add`, rows with seen_gen = gen never sent (sent_gen NULL); `remove`, rows sent
        (sent_gen set) that gen did not see (seen_gen < gen). At most `limit` rows ordered
        by digest, after the digest `after` (keyset pages); each row's `gen` is its
        seen_gen."""
        ...

    def ledger_size(self, destination: str) -> int:
        """How many ledger rows of `destination` were sent (sent_gen set)."""
        ...

    def stats(self) -> StoreStats: ...

    def provenance(self, batch_id: str, after: str | None, limit: int) -> list[ProvenanceRow]:
        """A page of one batch's provenance rows: at most `limit`, those after the row whose
        `pk` is `after` (None: from the first) in the store's order of identities (keyset
        pages: removal of a big batch in bounded memory). That order is `pk`'s on Neo4j and
        the identity columns' on SQLite; they differ only where JSON escaping reorders
        texts, and each store's pages cover every row once."""
        ...

    def provenance_of(self, items: Sequence[tuple[str, IdentifierKey, str]]) -> list[ProvenanceRow]:
        """Every provenance row, of any batch, with one of these (kind, key, other): who else
        gave evidence for a link or wrote a record. Ordered by `pk`."""
        ...

    def batches(self, source: str | None = None, limit: int = 100) -> list[BatchInfo]:
        """Ingest batches as their provenance tells them (those with a row of `source`, or
        all), newest first (by their earliest row's `at`, then batch ID). Aggregates every
        provenance row of the batches: costs a scan of the provenance."""
        ...

    def hub_states(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, HubStateRow]:
        """The stewards' hub decisions (confirmed, released) among these keys."""
        ...

    def latest_model(self) -> tuple[str, str] | None:
        """(version, JSON body) of the newest saved match model."""
        ...

    def scan(self, kind: str) -> Iterator[dict[str, object]]:
        """Every row of one `EXPORT_KINDS` kind, streamed (see EXPORT_KINDS for shapes).
        Consume it inside the reader or transaction that gave it."""
        ...

    def row_counts(self) -> dict[str, int]:
        """Number of rows of each `EXPORT_KINDS` kind, as `scan` would yield them."""
        ...

    def segment_members(
        self, expr: Expr, ctx: EvalContext, after: str | None, limit: int
    ) -> list[PersonId]:
        """Up to `limit` members of a resolved segment expression (`segments.resolve`) with a
        person_id greater than `after`, ordered by person_id (keyset paging). Members are
        current persons with at least one identifier, as `segments.reference` defines them."""
        ...

    def segment_count(self, expr: Expr, ctx: EvalContext) -> int:
        """The number of members of a resolved segment expression."""
        ...

    def iter_segment(self, expr: Expr, ctx: EvalContext) -> Iterator[PersonId]:
        """Every member, ordered by person_id, streamed from one evaluation (exports: never
        the whole segment in memory). Consume it inside the reader that gave it; other
        reads may run meanwhile."""
        ...


@runtime_checkable
class StoreTx(StoreReader, Protocol):
    """The write transaction: its reads see its own writes."""

    def apply(self, changes: ChangeSet) -> None:
        """Write one ChangeSet (see `ChangeSet` for each field's semantics and order)."""
        ...

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert rows of one `EXPORT_KINDS` kind as another store exported them, by their
        identity (key, pair, seq, ...): importing the same rows again changes nothing."""
        ...


@runtime_checkable
class GraphStore(Protocol):
    url: str

    def close(self) -> None: ...

    def ping(self) -> None:
        """Answer a trivial read, promptly, or raise `StoreError` (readiness probes)."""
        ...

    def reset(self) -> None:
        """Delete every node, edge and row (tests, demo re-runs), segments, destinations and
        the export ledger and API keys included; keeps the schema."""
        ...

    def reader(self) -> AbstractContextManager[StoreReader]:
        """Reads over one consistent snapshot, committed writes only; never blocks on (or
        blocks) a writer. Nested on one thread, the inner block shares the outer snapshot."""
        ...

    def unit_of_work(self) -> AbstractContextManager[StoreTx]:
        """One write transaction; units of work are applied one at a time across every
        process sharing the store (the core decides from what it read inside). Raises
        `Busy` when its turn does not come within the store's write wait."""
        ...

    def purge_deleted(self) -> bool:
        """Make what was deleted unrecoverable from the store's own files, as far as the
        store can (erasure calls it after its commits). SQLite: freed content is zeroed as
        it is deleted (`secure_delete`); this checkpoints the WAL into the database file
        and truncates it. False when a reader held an old snapshot, so the WAL could not
        be emptied (run it again). Neo4j: True; its transaction logs keep deleted values
        until the server prunes them (README, "Erasure")."""
        ...

    @property
    def writes_waiting(self) -> int:
        """Units of work of this process waiting for their turn now (the write queue)."""
        ...


def assignments(reader: StoreReader) -> Iterator[tuple[IdentifierKey, PersonId]]:
    """Every (identifier key, person ID), streamed (evaluation reads them all)."""
    for row in reader.scan("identifiers"):
        yield IdentifierKey(str(row["key"])), PersonId(str(row["person_id"]))


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def source_records(reader: StoreReader) -> Iterator[SourceRecord]:
    """Every source record in (source, record_id) order, streamed (training and blocking
    read them all)."""
    for row in reader.scan("records"):
        yield SourceRecord.model_validate(
            {**row, "identifier": row["key"], "attributes": json.loads(str(row["attributes"]))}
        )
