"""Use cases: what the CLI and the API call. Thin callers, all decisions here and below.

Every read or write of the store that the service layer makes goes through a method of
`IdentityService` (the "store access" section collects the plain ones), so a change of
the store contract changes this module, not its callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from datetime import datetime

from anyio import to_thread

from identity_graph.config import Settings
from identity_graph.errors import BatchRejected, InvalidValue, ItemError, NotFoundError
from identity_graph.graph.explain import Explanation, explain
from identity_graph.ids import IdentifierKey, PersonId, identifier_key
from identity_graph.ingest.batches import BatchSummary, ingest_batch, new_batch_id
from identity_graph.ingest.events import EventParser
from identity_graph.ingest.normalize import Normalizer
from identity_graph.ingest.observations import Observation, utc_now
from identity_graph.ingest.readers import Item
from identity_graph.ingest.records import RecordMapping, RecordParser
from identity_graph.matching.model import MatchModel
from identity_graph.matching.runner import Matcher, MatchSummary
from identity_graph.profiles.build import LargeProfile, build_profile, identifier_profile
from identity_graph.review.decisions import decide_review, parse_pair_id
from identity_graph.service.audiences import Audiences
from identity_graph.service.audit import AuditQuery, audit_rows
from identity_graph.service.consent import ConsentWithdrawn, withdraw_consent
from identity_graph.service.erasure import Erasure
from identity_graph.service.ingest import (
    DEFAULT_BATCH_SIZE,
    IngestReport,
    Parser,
    StreamRejected,
    ingest_stream,
    records_mapping,
)
from identity_graph.service.keys import ApiKeys
from identity_graph.service.lifecycle import Lifecycle
from identity_graph.service.views import (
    AuditEntry,
    BatchResult,
    DecisionResult,
    ReviewItem,
    ReviewPage,
    batch_result,
    review_item,
)
from identity_graph.stores import open_store
from identity_graph.stores.admission import DEFAULT_WRITE_WAIT, retry_transient
from identity_graph.stores.contract import GraphStore, assignments
from identity_graph.stores.lookups import lookup_reads
from identity_graph.stores.rows import ChangeSet, ReviewRow
from identity_graph.views import Person, StoreStats

# Re-exported: callers imported them from here before the ingest use case had its module.
__all__ = [
    "DEFAULT_BATCH_SIZE",
    "IdentityService",
    "IngestReport",
    "Parser",
    "StreamRejected",
    "records_mapping",
]


# Identifiers of a person whose profile the API reads on its event loop (embedded store):
# its read takes a few milliseconds at most (bench/RESULTS.md, "Lookups"). A larger one
# stops after reading its identifiers and is read again on a thread.
INLINE_IDENTIFIERS = 200


class IdentityService:
    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._lookups = lookup_reads(store)
        self.normalizer = Normalizer(settings)
        self._events = EventParser(settings, self.normalizer)
        self.audiences = Audiences(store, settings)
        self.keys = ApiKeys(store)
        self.erasure = Erasure(store, self._key)
        self.lifecycle = Lifecycle(store, settings, self.normalizer)

    @classmethod
    def open(
        cls,
        store_url: str,
        settings: Settings,
        *,
        neo4j_auth: tuple[str, str] | None = None,
        write_wait: float = DEFAULT_WRITE_WAIT,
        sqlite_cache_mib: int | None = None,
    ) -> IdentityService:
        """The service on the store a URL names; ConfigError for a bad URL. A write waits
        at most `write_wait` seconds for its turn, then raises Busy."""
        store = open_store(
            store_url,
            neo4j_auth=neo4j_auth,
            write_wait=write_wait,
            sqlite_cache_mib=sqlite_cache_mib,
        )
        return cls(store, settings)

    # -- ingest ------------------------------------------------------------------------

    def ingest_events(self, events: Sequence[object], batch_id: str | None = None) -> BatchSummary:
        """One API batch: applied whole, or BatchRejected listing every bad item. Its
        evidence is remembered under `batch_id` (a new one if None: one request, one
        batch)."""
        observations, errors = _parse_all(self._events.parse, enumerate(events))
        if errors:
            raise BatchRejected(errors)
        return self.commit_batch(observations, batch_id or new_batch_id())

    def ingest_batch(self, events: Sequence[object]) -> BatchResult:
        """`ingest_events`, as the API answers it."""
        return batch_result(self.ingest_events(events))

    def event_parser(self) -> Parser:
        return self._events.parse

    def record_parser(self, mapping: RecordMapping, *, lenient: bool = False) -> Parser:
        """`lenient` drops malformed identifier and attribute values (counted) instead of
        rejecting the record."""
        return RecordParser(mapping, self.normalizer, lenient=lenient, settings=self.settings).parse

    def ingest_stream(
        self,
        items: Iterable[Item],
        parser: Parser,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        skip_invalid: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
        after_batch: Callable[[list[Observation]], None] | None = None,
        batch_id: str | None = None,
    ) -> IngestReport:
        """`identity_graph.service.ingest.ingest_stream` on this service's store."""
        return ingest_stream(
            self,
            items,
            parser,
            batch_size=batch_size,
            skip_invalid=skip_invalid,
            on_progress=on_progress,
            after_batch=after_batch,
            batch_id=batch_id,
        )

    # -- reads -------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        return build_profile(self._lookups, self.settings, person_id)

    def person_by_identifier(self, type_: str, value: str) -> Person:
        return self._identifier_profile(type_, self._key(type_, value))

    def _identifier_profile(
        self, type_: str, key: IdentifierKey, max_members: int | None = None
    ) -> Person:
        found = identifier_profile(self._lookups, self.settings, key, max_members=max_members)
        if found is None:
            raise NotFoundError(_unknown(type_))
        return found

    async def lookup_person(self, person_id: str) -> Person:
        """`person` for the API's event loop: an embedded store's read of a small person
        runs on it (a thread hop would cost more than the read); a networked store's read,
        or one found to hold more than `INLINE_IDENTIFIERS`, runs on a thread, so that the
        loop keeps serving meanwhile."""
        if self._lookups.inline:
            with suppress(LargeProfile):  # too large for the loop: read on a thread below
                return build_profile(
                    self._lookups, self.settings, person_id, max_members=INLINE_IDENTIFIERS
                )
        return await to_thread.run_sync(self.person, person_id)

    async def lookup_identifier(self, type_: str, value: str) -> Person:
        """`person_by_identifier` for the API's event loop (see `lookup_person`)."""
        key = self._key(type_, value)
        if self._lookups.inline:
            with suppress(LargeProfile):  # as in `lookup_person`
                return self._identifier_profile(type_, key, INLINE_IDENTIFIERS)
        return await to_thread.run_sync(self._identifier_profile, type_, key)

    def stats(self) -> StoreStats:
        with self.store.reader() as r:
            return r.stats()

    def resolve_key(self, raw: str) -> str:
        """`type:value` as a user writes it -> the stored identifier key (normalized)."""
        key = self._typed_key(raw)
        with self.store.reader() as r:
            known = key in r.identifiers([key])
        if not known:
            raise NotFoundError(_unknown(key.partition(":")[0]))
        return key

    def _typed_key(self, raw: str) -> IdentifierKey:
        """`type:value` -> its key, normalized, whether the store holds it or not."""
        type_, sep, value = raw.partition(":")
        if not sep or not value:
            raise InvalidValue("expected type:value, e.g. email:anna@example.com")
        return self._key(type_, value)

    def _key(self, type_: str, value: str) -> IdentifierKey:
        try:
            normalized = self.normalizer.normalize(type_, value)
        except InvalidValue as exc:
            raise InvalidValue(f"{type_}: {exc}") from None
        if normalized is None:
            raise NotFoundError(f"that {type_} is a placeholder value, never an identifier")
        return identifier_key(type_, normalized)

    def explain(self, a: str, b: str) -> Explanation:
        return explain(self.store, self.settings, self.resolve_key(a), self.resolve_key(b))

    # -- probabilistic matching and the review queue -----------------------------------

    @property
    def matcher(self) -> Matcher:
        return Matcher(self.store, self.settings)

    def match(
        self, retrain: bool = False, on_progress: Callable[[str], None] | None = None
    ) -> MatchSummary:
        return self.matcher.match_all(retrain=retrain, on_progress=on_progress)

    def match_model(self) -> MatchModel | None:
        """The newest match model of the store, if it has one."""
        return self.matcher.model()

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int,
        min_probability: float,
        max_probability: float,
    ) -> tuple[int, list[ReviewRow]]:
        with self.store.reader() as r:
            rows = r.reviews(status, limit, offset, min_probability, max_probability)
            return r.count_reviews(status), rows

    def review_page(
        self,
        status: str,
        limit: int,
        offset: int,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> ReviewPage:
        """One page of the queue; `status` "all" is every status."""
        wanted = None if status == "all" else status
        total, rows = self.reviews(wanted, limit, offset, min_probability, max_probability)
        more = len(rows) == limit
        return ReviewPage(
            total=total,
            items=[review_item(r) for r in rows],
            next_offset=offset + limit if more else None,
        )

    def review(self, pid: str) -> ReviewRow:
        pair = parse_pair_id(pid)
        with self.store.reader() as r:
            row = r.review_pairs([pair]).get(pair)
        if row is None:
            raise NotFoundError(f"no review pair with ID {pid!r}")
        return row

    def review_item(self, pid: str) -> ReviewItem:
        return review_item(self.review(pid))

    def decide(
        self, pid: str, decision: str, by: str, comment: str | None
    ) -> tuple[ReviewRow, BatchSummary]:
        return decide_review(self.store, self.settings, pid, decision, by, comment)

    def decide_review(
        self, pid: str, decision: str, by: str, comment: str | None
    ) -> DecisionResult:
        """`decide`, as the API answers it."""
        row, summary = self.decide(pid, decision, by, comment)
        return DecisionResult(
            item=review_item(row), merges=summary.merges, merges_refused=summary.merges_refused
        )

    def audit(
        self,
        limit: int = 100,
        subject: str | None = None,
        *,
        person: str | None = None,
        identifier: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        action: str | None = None,
    ) -> list[AuditEntry]:
        """The audit trail, newest first; every filter given is AND-ed (service.audit).
        `identifier` is `type:value` as a user writes it; it need not be stored any more."""
        key = self._typed_key(identifier) if identifier is not None else None
        q = AuditQuery(limit, subject, action, since, until, person, key)
        return audit_rows(self.store, q)

    def withdraw_consent(
        self, person_id: str, purpose: str, by: str, reason: str
    ) -> ConsentWithdrawn:
        """A steward withdraws a person's consent for a purpose (service.consent)."""
        return withdraw_consent(self.store, self.settings, person_id, purpose, by, reason)

    # -- store access ------------------------------------------------------------------

    @property
    def store_url(self) -> str:
        """The store's URL as it may be shown (never a password)."""
        return self.store.url

    def close(self) -> None:
        self._lookups.close()
        self.store.close()

    def ping(self) -> None:
        """Raise `StoreError` unless the store answers a trivial read (readiness)."""
        self.store.ping()

    def commit_batch(
        self, observations: list[Observation], batch_id: str | None = None
    ) -> BatchSummary:
        """One batch of parsed items, clustered and written in one transaction under
        `batch_id` (provenance; a new one if None); run again (decided afresh) after a
        transient store failure, a few times, then Busy."""
        bid = batch_id or new_batch_id()
        return retry_transient(lambda: ingest_batch(self.store, self.settings, observations, bid))

    def person_id_of(self, key: str) -> str | None:
        """The current person of a stored identifier key."""
        wanted = IdentifierKey(key)
        with self.store.reader() as r:
            found = r.identifiers([wanted]).get(wanted)
        return found.person_id if found is not None else None

    def assignments(self) -> Iterator[tuple[IdentifierKey, PersonId]]:
        """Every (identifier key, person ID), streamed from one read snapshot."""
        with self.store.reader() as r:
            yield from assignments(r)

    def identity_map(self) -> Iterator[tuple[str, str, str]]:
        """(type, value, person_id) of every identifier, streamed from one read snapshot:
        the table a warehouse joins on to count per person."""
        with self.store.reader() as r:
            for row in r.scan("identifiers"):
                yield str(row["type"]), str(row["value"]), str(row["person_id"])

    def hub_keys(self, limit: int = 100_000) -> set[IdentifierKey]:
        with self.store.reader() as r:
            return {h.key for h in r.hubs(limit=limit)}

    def row_counts(self) -> dict[str, int]:
        """Rows of every kind the store holds (what `migrate` copies)."""
        with self.store.reader() as r:
            return r.row_counts()

    def reset_store(self) -> None:
        """Delete everything the store holds."""
        self.store.reset()

    def has_message(self, message_id: str) -> bool:
        with self.store.reader() as r:
            return bool(r.seen_messages([message_id]))

    def record_message(self, message_id: str) -> None:
        """Remember a message ID as ingested, with nothing else."""
        at = utc_now()
        with self.store.unit_of_work() as tx:
            tx.apply(ChangeSet(message_ids=[(message_id, at)], at=at))


def _parse_all(
    parser: Parser, items: Iterable[tuple[int, object]]
) -> tuple[list[Observation], list[ItemError]]:
    observations: list[Observation] = []
    errors: list[ItemError] = []
    for position, item in items:
        result = parser(item, position)
        if result.observation is not None:
            observations.append(result.observation)
        errors.extend(result.errors)
    return observations, errors


def _unknown(type_: str) -> str:
    # Error messages reach logs and clients' logs: the value itself is personal data.
    return f"no identifier of type {type_} with that value"
