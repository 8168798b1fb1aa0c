"""`identity-graph migrate`: copy a whole graph between stores."""

from __future__ import annotations

from contextlib import closing
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from identity_graph.cli.common import console, fail, out
from identity_graph.cli.runtime import Neo4jCredentials, from_environment
from identity_graph.errors import ConfigError, IdentityGraphError
from identity_graph.service.migrate import (
    EndpointError,
    MigrationError,
    MigrationReport,
    StoreCopy,
)


def migrate(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Store to copy: sqlite:///path/graph.db or neo4j://[user:password@]host:7687",
        ),
    ],
    target: Annotated[
        str,
        typer.Option(
            "--to", help="Store to copy into (empty, or an earlier copy of the same store)"
        ),
    ],
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 5_000,
) -> None:
    """Copy a whole graph between stores (e.g. SQLite to Neo4j), then verify the row counts.

    Identifiers, links, persons, lineage, activity, records, refused merges, the review
    queue, audit, match models and message IDs (so replays stay harmless) are copied in
    batches, one transaction each. Re-running is safe: rows are upserted by identity.
    Exits non-zero, naming the kinds, if the counts differ afterwards. Neo4j credentials
    come from the URL or NEO4J_USER/NEO4J_PASSWORD. Stop writes to the source first.
    """
    if source.rstrip("/") == target.rstrip("/"):
        raise fail("--from and --to name the same store")
    try:
        credentials = from_environment(Neo4jCredentials)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    try:
        copy = StoreCopy(source, target, neo4j_auth=credentials.auth())
    except EndpointError as exc:
        raise fail(f"--{exc.side}: {exc}") from None
    with closing(copy):
        console.print(f"copying {copy.source_url} -> {copy.target_url}")
        try:
            report = _run(copy, batch_size)
        except MigrationError as exc:
            table = Table(title="row counts differ", show_header=True)
            for column in ("kind", "source", "target"):
                table.add_column(column)
            for kind, (s, t) in exc.differences.items():
                table.add_row(kind, f"{s:,}", f"{t:,}")
            console.print(table)
            raise fail(f"migration incomplete: {exc}") from None
        except IdentityGraphError as exc:
            raise fail(f"migration failed (re-running it is safe): {exc}") from None
    table = Table(title=f"migrated {copy.source_url} -> {copy.target_url}")
    for column in ("kind", "source rows", "target rows", "copied"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for kind, n in report.source_counts.items():
        table.add_row(
            kind, f"{n:,}", f"{report.target_counts[kind]:,}", f"{report.copied.get(kind, 0):,}"
        )
    out.print(table)
    out.print(f"counts match on both sides ({report.batches:,} transactions)")


def _run(copy: StoreCopy, batch_size: int) -> MigrationReport:
    """The copy, under a progress bar per kind of row."""
    with Progress(
        TextColumn("[bold]{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(kind: str, done: int, total: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(kind, total=total)
            progress.update(tasks[kind], completed=done, total=max(total, done))

        return copy.run(batch_size=batch_size, on_progress=on_progress)
