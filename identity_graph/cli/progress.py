"""Ingest a file with a rich progress bar (CLI and demo)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from identity_graph.ingest.observations import Observation
from identity_graph.ingest.readers import progress_total, read_items
from identity_graph.service.identity import IdentityService, IngestReport, Parser


def ingest_file(
    service: IdentityService,
    path: Path,
    parser: Parser,
    console: Console,
    *,
    batch_size: int,
    skip_invalid: bool = False,
    after_batch: Callable[[list[Observation]], None] | None = None,
) -> IngestReport:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[items]:,} items"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(path.name, total=progress_total(path), items=0)

        def on_progress(items: int, done: int) -> None:
            progress.update(task, completed=done, items=items)

        return service.ingest_stream(
            read_items(path),
            parser,
            batch_size=batch_size,
            skip_invalid=skip_invalid,
            on_progress=on_progress,
            after_batch=after_batch,
        )
