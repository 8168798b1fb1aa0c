"""The ingest use case: files or streams of items into the store, in batches.

The one orchestration behind `identity-graph ingest`, the demo and `identity-graph resolve`:
parse, batch, commit each batch in one transaction, collect or reject bad items, and match
new records against existing ones when the store has a match model. Callers present what
happened; an `IngestObserver` tells them as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from identity_graph.collector import advanced, fewer_collections
from identity_graph.errors import BatchRejected, ItemError
from identity_graph.ingest.batches import BatchSummary, new_batch_id
from identity_graph.ingest.observations import Observation, ParseResult
from identity_graph.ingest.prefetch import prefetch
from identity_graph.ingest.readers import Item, csv_header, progress_total, read_items, read_jsonl
from identity_graph.ingest.records import RecordMapping
from identity_graph.matching.runner import IncrementalMatcher
from identity_graph.stores import NEO4J_SCHEMES

if TYPE_CHECKING:
    from identity_graph.service.identity import IdentityService

Parser = Callable[[object, int], ParseResult]
DEFAULT_BATCH_SIZE = 10_000
# Neo4j holds a transaction's writes in heap (its transaction memory pool); with provenance
# a batch of 10,000 dense events outgrows a 1 GiB server, 2,000 leave room for denser ones.
NEO4J_BATCH_SIZE = 2_000


def default_batch_size(store_url: str) -> int:
    """Items per transaction when the caller does not say: smaller on Neo4j."""
    scheme = store_url.split("://", 1)[0].lower()
    return NEO4J_BATCH_SIZE if scheme in NEO4J_SCHEMES else DEFAULT_BATCH_SIZE


@dataclass
class IngestReport:
    """What a streamed ingest did. `errors` lists skipped items (with skip_invalid);
    `dropped_fields` the malformed fields left out of records that were kept (with
    drop_invalid_fields)."""

    summary: BatchSummary = field(default_factory=BatchSummary)
    batches: int = 0
    errors: list[ItemError] = field(default_factory=list)
    dropped_fields: list[ItemError] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        self.summary.add(other.summary)
        self.batches += other.batches
        self.errors.extend(other.errors)
        self.dropped_fields.extend(other.dropped_fields)


class StreamRejected(BatchRejected):
    """A batch of a stream was rejected; the batches before it were committed."""

    def __init__(self, errors: list[ItemError], report: IngestReport, first: int, last: int):
        super().__init__(errors)
        self.report = report
        self.first_position = first
        self.last_position = last


class IngestObserver:
    """What an ingest tells its caller as it goes; every method does nothing here."""

    def started(self, name: str, total: int) -> None:
        """A file (or stream) begins; `total` is what `advanced`'s `done` counts up to."""

    def advanced(self, items: int, done: int) -> None:
        """A batch was committed: `items` read so far, `done` of `total`."""

    def committed(self, first: int, last: int) -> None:
        """The items of positions `first` to `last` (lines, rows) are committed, all of
        them that were valid: a run stopped after this keeps them."""

    def finished(self) -> None:
        """The file ended, committed or not (also called when it was rejected)."""

    def matching_unavailable(self) -> None:
        """Records are coming but the store has no match model to match them with."""


class Ingest:
    """One ingest run over any number of files or streams into one service's store.

    With `match_new_records`, each committed batch of records is matched against the
    records already stored (in their blocks only), once the store has a match model.
    `total` adds up every file's report; `matching` is the incremental matcher, if any.
    Every commit of the run writes its evidence under one `batch_id` (provenance; a new
    `b_...` one if None).
    """

    def __init__(
        self,
        service: IdentityService,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        skip_invalid: bool = False,
        drop_invalid_fields: bool = False,
        match_new_records: bool = True,
        observer: IngestObserver | None = None,
        batch_id: str | None = None,
    ) -> None:
        self.service = service
        self.batch_size = batch_size
        self.skip_invalid = skip_invalid
        self.drop_invalid_fields = drop_invalid_fields
        self.observer = observer or IngestObserver()
        self.batch_id = batch_id or new_batch_id()
        self.total = IngestReport()
        self.total.summary.batch_id = self.batch_id
        self.matching: IncrementalMatcher | None = None
        self._matching_decided = not match_new_records

    def file(
        self, path: Path, *, source: str | None = None, mapping: Path | None = None
    ) -> IngestReport:
        """Events (JSONL) without `source`; records of `source` (CSV or JSONL) with it.
        `mapping` names the record columns; without it they are inferred from the header."""
        if source is None:
            parser = self.service.event_parser()
        else:
            m = records_mapping(path, source, mapping, self.service.normalizer.types)
            parser = self.service.record_parser(m, lenient=self.drop_invalid_fields)
        return self.items(
            read_items(path),
            parser,
            name=path.name,
            total=progress_total(path),
            records=source is not None,
        )

    def items(
        self,
        items: Iterable[Item],
        parser: Parser,
        *,
        name: str = "input",
        total: int = 0,
        records: bool = False,
    ) -> IngestReport:
        """Ingest a stream of `(position, item, size)`; `records` says they are records
        (so they can be matched incrementally). Raises StreamRejected for a bad batch
        unless skip_invalid."""
        matcher = self._matcher() if records else None
        self.observer.started(name, total)
        try:
            report = ingest_stream(
                self.service,
                items,
                parser,
                batch_size=self.batch_size,
                skip_invalid=self.skip_invalid,
                on_progress=self.observer.advanced,
                after_batch=matcher.add_observations if matcher is not None else None,
                on_commit=self.observer.committed,
                batch_id=self.batch_id,
            )
        finally:
            self.observer.finished()
        self.total.add(report)
        return report

    def _matcher(self) -> IncrementalMatcher | None:
        # Loaded once, at the first records: it reads every stored record into its index.
        if not self._matching_decided:
            self._matching_decided = True
            self.matching = self.service.matcher.incremental()
            if self.matching is None:
                self.observer.matching_unavailable()
        return self.matching


def ingest_stream(
    service: IdentityService,
    items: Iterable[Item],
    parser: Parser,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_invalid: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[list[Observation]], None] | None = None,
    on_commit: Callable[[int, int], None] | None = None,
    batch_id: str | None = None,
) -> IngestReport:
    """Ingest items in batches of `batch_size`, each one transaction.

    A batch with bad items is rejected whole (StreamRejected, earlier batches stay
    committed, and re-running after a fix is harmless: replays change nothing), unless
    `skip_invalid`, which drops bad items and reports them. `after_batch` sees each
    committed batch (incremental matching of records hooks in there); `on_commit` gets the
    first and last position of each committed batch. Every commit writes its evidence under
    `batch_id` (provenance; one new ID for the whole stream if None).
    """
    with fewer_collections():
        return _ingest_stream(
            service,
            items,
            parser,
            batch_size,
            skip_invalid,
            on_progress,
            after_batch,
            on_commit,
            batch_id or new_batch_id(),
        )


def _ingest_stream(
    service: IdentityService,
    items: Iterable[Item],
    parser: Parser,
    batch_size: int,
    skip_invalid: bool,
    on_progress: Callable[[int, int], None] | None,
    after_batch: Callable[[list[Observation]], None] | None,
    on_commit: Callable[[int, int], None] | None,
    batch_id: str,
) -> IngestReport:
    report = IngestReport()
    report.summary.batch_id = batch_id
    batches = prefetch(_parse_batches(items, parser, batch_size))
    for batch, errors, dropped, first, last, done in batches:
        if errors:
            if not skip_invalid:
                raise StreamRejected(errors, report, first, last)
            report.errors.extend(errors)
            report.summary.invalid_skipped += len({e.position for e in errors})
        if batch:
            report.summary.add(service.commit_batch(batch, batch_id))
            report.dropped_fields.extend(dropped)
            report.batches += 1
            if after_batch is not None:
                after_batch(batch)
        if on_commit is not None:
            on_commit(first, last)
        if on_progress is not None:
            on_progress(report.summary.items, done)
        advanced(len(batch) + len(errors))
    return report


# (observations, errors, dropped fields, first position, last position, bytes read so far)
ParsedBatch = tuple[list[Observation], list[ItemError], list[ItemError], int, int, int]


def _parse_batches(items: Iterable[Item], parser: Parser, batch_size: int) -> Iterator[ParsedBatch]:
    """One `ParsedBatch` per `batch_size` items."""
    batch: list[Observation] = []
    errors: list[ItemError] = []
    dropped: list[ItemError] = []
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
                dropped.extend(result.dropped)
            errors.extend(result.errors)
        if len(batch) + len(errors) >= batch_size:
            yield batch, errors, dropped, first, number, done_bytes
            batch, errors, dropped = [], [], []
    if batch or errors:
        yield batch, errors, dropped, first, number, done_bytes


def records_mapping(
    path: Path, source: str, mapping_file: Path | None, identifier_types: frozenset[str]
) -> RecordMapping:
    """The mapping file if given, else one inferred from the file's columns."""
    if mapping_file is not None:
        return RecordMapping.load(mapping_file)
    if path.suffix.lower() == ".csv":
        columns = csv_header(path)
    else:
        first = next((item for _, item, _ in read_jsonl(path) if isinstance(item, dict)), {})
        columns = list(first)
    return RecordMapping.infer(columns, source, identifier_types)
