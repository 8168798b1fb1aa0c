"""`identity-graph ingest`: files of events or records into the store."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from identity_graph.cli.common import (
    ConfigOpt,
    StoreOpt,
    console,
    fail,
    out,
    print_item_errors,
    service_session,
)
from identity_graph.cli.progress import ProgressBars
from identity_graph.graph.commit import BatchSummary
from identity_graph.ingest.limits import MAX_ID
from identity_graph.matching.runner import MatchSummary
from identity_graph.service.ingest import (
    DEFAULT_BATCH_SIZE,
    NEO4J_BATCH_SIZE,
    Ingest,
    StreamRejected,
    default_batch_size,
)


class InvalidFields(StrEnum):
    reject = "reject"
    drop = "drop"


def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="JSONL event files, or record files with --source")
    ],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    source: Annotated[
        str | None,
        typer.Option(help="The files are records of this source (crm, loyalty, ...), CSV or JSONL"),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="Column mapping (YAML/JSON) for records; inferred from headers if absent"
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"Items per transaction (default {DEFAULT_BATCH_SIZE:,}; "
            f"{NEO4J_BATCH_SIZE:,} on Neo4j)",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Drop bad items and report them, instead of stopping")
    ] = False,
    invalid_fields: Annotated[
        InvalidFields,
        typer.Option(
            help="Records only: a malformed identifier field (an unassigned phone number, an "
            "email without a domain) rejects its record's batch (reject), or is left out of "
            "the record, counted and reported while the record is kept (drop)"
        ),
    ] = InvalidFields.reject,
    batch_id: Annotated[
        str | None,
        typer.Option(
            help="The batch ID every commit of this run writes its evidence under "
            "(provenance: `identity-graph remove --batch ID` takes it back); "
            "default a new b_ + 16 hex digits, printed",
        ),
    ] = None,
) -> None:
    """Ingest Segment-spec events (JSONL) or CRM/loyalty records (CSV/JSONL, with --source).

    Each batch is one transaction. A batch with a bad item is rejected whole and the command
    stops, listing every bad item; batches before it stay. Re-running after fixing the file
    is safe: replayed events and unchanged records change nothing.
    """
    if batch_id is not None and not 0 < len(batch_id.strip()) <= MAX_ID:
        raise fail(f"--batch-id must hold 1 to {MAX_ID} characters")
    drop_fields = invalid_fields is InvalidFields.drop
    if drop_fields and source is None:
        raise fail("--invalid-fields drop is for records: say whose with --source")
    with service_session(store, config) as service:
        run = Ingest(
            service,
            batch_size=batch_size or default_batch_size(service.store_url),
            skip_invalid=skip_invalid,
            drop_invalid_fields=drop_fields,
            observer=ProgressBars(console),
            batch_id=batch_id,
        )
        path = files[0]
        try:
            for path in files:
                if not path.is_file():
                    raise fail(f"{path}: no such file")
                if source is None and path.suffix.lower() == ".csv":
                    raise fail(
                        f"{path}: CSV files hold records; say whose with --source (e.g. crm)"
                    )
                report = run.file(path, source=source, mapping=mapping)
                if report.errors:
                    console.print(
                        f"[yellow]{path}: skipped {len(report.errors)} problem(s):[/]",
                        soft_wrap=True,
                    )
                    print_item_errors(report.errors, path)
                if report.dropped_fields:
                    console.print(
                        f"[yellow]{path}: dropped {len(report.dropped_fields)} invalid "
                        "field(s), records kept:[/]",
                        soft_wrap=True,
                    )
                    print_item_errors(report.dropped_fields, path)
        except StreamRejected as exc:
            _print_rejected(exc, files, path)
            raise typer.Exit(1) from None
    _print_summary(run.total.summary)
    if run.matching is not None:
        _print_matching(run.matching.summary)


def _print_rejected(exc: StreamRejected, files: list[Path], path: Path) -> None:
    console.print(
        f"[bold red]error:[/] {files[0] if len(files) == 1 else 'input'}: batch of lines "
        f"{exc.first_position}-{exc.last_position} rejected, {len(exc.errors)} problem(s); "
        f"nothing of it was written:",
        highlight=False,
        soft_wrap=True,
    )
    print_item_errors(exc.errors, path)
    console.print(
        f"{exc.report.summary.items} item(s) of earlier batches were committed. Fix the input "
        "and run again (replays change nothing), or pass --skip-invalid."
    )


def _print_summary(summary: BatchSummary) -> None:
    table = Table(title="ingest summary", show_header=False)
    table.add_row("batch ID", summary.batch_id)
    for label, value in [
        ("items read", summary.items),
        ("replayed (unchanged)", summary.replayed),
        ("invalid, skipped", summary.invalid_skipped),
        ("placeholder values dropped", summary.placeholders_dropped),
        ("dropped: erased identifier", summary.erased_dropped),
        ("new identifiers", summary.identifiers_new),
        ("persons created", summary.persons_created),
        ("merges", summary.merges),
        ("merges refused by rules", summary.merges_refused),
        ("hubs flagged", summary.hubs_flagged),
        ("persons split (hubs)", summary.splits),
    ]:
        table.add_row(label, f"{value:,}")
    out.print(table)


def _print_matching(s: MatchSummary) -> None:
    out.print(
        f"probabilistic matching (model {s.model_version}): {s.pairs_scored:,} candidate "
        f"pairs >= review threshold, {s.linked:,} linked, {s.queued:,} queued for review"
        + (
            f", {s.changed_later:,} changed records left for `identity-graph match`"
            if s.changed_later
            else ""
        )
    )
