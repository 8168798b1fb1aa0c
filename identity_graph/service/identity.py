"""Use cases: what the CLI and the API call. Thin callers, all decisions here and below."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from identity_graph.config import Settings
from identity_graph.errors import BatchRejected, InvalidValue, ItemError, NotFoundError
from identity_graph.graph.explain import Explanation, explain
from identity_graph.ids import identifier_key
from identity_graph.ingest.batches import BatchSummary, ingest_batch
from identity_graph.ingest.events import EventParser
from identity_graph.ingest.normalize import Normalizer
from identity_graph.ingest.observations import Observation, ParseResult
from identity_graph.ingest.prefetch import prefetch
from identity_graph.ingest.readers import Item
from identity_graph.ingest.records import RecordMapping, RecordParser
from identity_graph.matching.runner import Matcher, MatchSummary, parse_pair_id
from identity_graph.profiles.build import build_profile
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import AuditRow, ReviewRow
from identity_graph.views import Person, StoreStats

Parser = Callable[[object, int], ParseResult]
DEFAULT_BATCH_SIZE = 10_000


@dataclass
class IngestReport:
    """What a streamed ingest did. `errors` lists skipped items (with --skip-invalid)."""

    summary: BatchSummary = field(default_factory=BatchSummary)
    batches: int = 0
    errors: list[ItemError] = field(default_factory=list)


class StreamRejected(BatchRejected):
    """A batch of a stream was rejected; the batches before it were committed."""

    def __init__(self, errors: list[ItemError], report: IngestReport, first: int, last: int):
        super().__init__(errors)
        self.report = report
        self.first_position = first
        self.last_position = last


class IdentityService:
    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.normalizer = Normalizer(settings)
        self._events = EventParser(settings, self.normalizer)

    # -- ingest ------------------------------------------------------------------------

    def ingest_events(self, events: Sequence[object]) -> BatchSummary:
        """One API batch: applied whole, or BatchRejected listing every bad item."""
        observations, errors = _parse_all(self._events.parse, enumerate(events))
        if errors:
            raise BatchRejected(errors)
        return ingest_batch(self.store, self.settings, observations)

    def event_parser(self) -> Parser:
        return self._events.parse

    def record_parser(self, mapping: RecordMapping) -> Parser:
        return RecordParser(mapping, self.normalizer).parse

    def ingest_stream(
        self,
        items: Iterable[Item],
        parser: Parser,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        skip_invalid: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
        after_batch: Callable[[list[Observation]], None] | None = None,
    ) -> IngestReport:
        """Ingest a file's items in batches of `batch_size`, each one transaction.

        A batch with bad items is rejected whole (StreamRejected, earlier batches stay
        committed, and re-running after a fix is harmless: replays change nothing), unless
        `skip_invalid`, which drops bad items and reports them. `after_batch` sees each
        committed batch (incremental matching of records hooks in there).
        """
        report = IngestReport()
        parsed = _parse_batches(items, parser, batch_size)
        for batch, errors, first, last, done_bytes in prefetch(parsed):
            self._flush(report, batch, errors, skip_invalid, first, last)
            if after_batch is not None and batch:
                after_batch(batch)
            if on_progress is not None:
                on_progress(report.summary.items, done_bytes)
        return report

    def _flush(
        self,
        report: IngestReport,
        batch: list[Observation],
        errors: list[ItemError],
        skip_invalid: bool,
        first: int,
        last: int,
    ) -> None:
        if errors:
            if not skip_invalid:
                raise StreamRejected(errors, report, first, last)
            report.errors.extend(errors)
            report.summary.invalid_skipped += len({e.position for e in errors})
        if batch:
            report.summary.add(ingest_batch(self.store, self.settings, batch))
            report.batches += 1

    # -- reads -------------------------------------------------------------------------

    def person(self, person_id: str) -> Person:
        return build_profile(self.store, self.settings, person_id)

    def person_by_identifier(self, type_: str, value: str) -> Person:
        try:
            normalized = self.normalizer.normalize(type_, value)
        except InvalidValue as exc:
            raise InvalidValue(f"{type_}: {exc}") from None
        if normalized is None:
            raise NotFoundError(f"{type_} {value!r} is a placeholder value, never an identifier")
        key = identifier_key(type_, normalized)
        with self.store.reader() as r:
            found = r.identifiers([key]).get(key)
        if found is None:
            raise NotFoundError(f"no identifier {type_}:{normalized}")
        return build_profile(self.store, self.settings, found.person_id)

    def stats(self) -> StoreStats:
        with self.store.reader() as r:
            return r.stats()

    def resolve_key(self, raw: str) -> str:
        """`type:value` as a user writes it -> the stored identifier key (normalized)."""
        type_, sep, value = raw.partition(":")
        if not sep or not value:
            raise InvalidValue(f"{raw!r}: expected type:value, e.g. email:anna@example.com")
        try:
            normalized = self.normalizer.normalize(type_, value)
        except InvalidValue as exc:
            raise InvalidValue(f"{type_}: {exc}") from None
        if normalized is None:
            raise NotFoundError(f"{raw!r} is a placeholder value, never an identifier")
        key = identifier_key(type_, normalized)
        with self.store.reader() as r:
            known = key in r.identifiers([key])
        if not known:
            raise NotFoundError(f"no identifier {key}")
        return key

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

    def review(self, pid: str) -> ReviewRow:
        pair = parse_pair_id(pid)
        with self.store.reader() as r:
            row = r.review_pairs([pair]).get(pair)
        if row is None:
            raise NotFoundError(f"no review pair with ID {pid!r}")
        return row

    def audit(self, limit: int = 100, subject: str | None = None) -> list[AuditRow]:
        """The audit trail (of one subject, or all), newest first."""
        with self.store.reader() as r:
            return r.audit(limit, subject)

    def decide(
        self, pid: str, decision: str, by: str, comment: str | None
    ) -> tuple[ReviewRow, BatchSummary]:
        return self.matcher.decide_review(pid, decision, by, comment)


ParsedBatch = tuple[list[Observation], list[ItemError], int, int, int]


def _parse_batches(items: Iterable[Item], parser: Parser, batch_size: int) -> Iterator[ParsedBatch]:
    """(observations, errors, first position, last position, bytes read so far) per batch."""
    batch: list[Observation] = []
    errors: list[ItemError] = []
    first = number = done_bytes = 0
    for number, item, size in items:
        if not batch and not errors:
            first = number
        done_bytes += size
        if isinstance(item, ItemError):
            errors.append(item)
        else:
            result = parser(item, number)
            if result.observation is not None:
                batch.append(result.observation)
            errors.extend(result.errors)
        if len(batch) + len(errors) >= batch_size:
            yield batch, errors, first, number, done_bytes
            batch, errors = [], []
    if batch or errors:
        yield batch, errors, first, number, done_bytes


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


def records_mapping(
    path: Path, source: str, mapping_file: Path | None, identifier_types: frozenset[str]
) -> RecordMapping:
    from identity_graph.ingest.readers import csv_header, read_jsonl

    if mapping_file is not None:
        return RecordMapping.load(mapping_file)
    if path.suffix.lower() == ".csv":
        columns = csv_header(path)
    else:
        first = next((item for _, item, _ in read_jsonl(path) if isinstance(item, dict)), {})
        columns = list(first)
    return RecordMapping.infer(columns, source, identifier_types)
