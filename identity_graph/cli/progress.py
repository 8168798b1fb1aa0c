"""A rich progress bar per ingested file (CLI and demo)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from identity_graph.ingest.readers import progress_total, read_items
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import Ingest, IngestObserver, IngestReport, Parser


class ProgressBars(IngestObserver):
    """One bar per file, drawn on `console` when it is a terminal; otherwise (a script, a
    log) one line per committed batch, `NAME: committed lines FIRST-LAST`, so that what a
    killed or failed run left committed is on record."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task = TaskID(0)
        self._name = ""

    def committed(self, first: int, last: int) -> None:
        if not self.console.is_terminal:
            self.console.print(
                f"{self._name}: committed lines {first}-{last}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )

    def started(self, name: str, total: int) -> None:
        self._name = name
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[items]:,} items"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
        )
        self._progress.start()
        self._task = self._progress.add_task(name, total=total, items=0)

    def advanced(self, items: int, done: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, items=items)

    def finished(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def matching_unavailable(self) -> None:
        self.console.print(
            "no match model in this store yet: records are linked on their "
            "identifiers only; run `identity-graph match` to train one"
        )


def ingest_file(
    service: IdentityService,
    path: Path,
    parser: Parser,
    console: Console,
    *,
    batch_size: int,
    skip_invalid: bool = False,
) -> IngestReport:
    """One file with a parser of the caller's, under a progress bar (scripts and tests)."""
    ingest = Ingest(
        service,
        batch_size=batch_size,
        skip_invalid=skip_invalid,
        match_new_records=False,
        observer=ProgressBars(console),
    )
    return ingest.items(read_items(path), parser, name=path.name, total=progress_total(path))
