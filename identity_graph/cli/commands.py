"""The `identity-graph` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from identity_graph.cli.progress import ingest_file
from identity_graph.cli.runtime import RuntimeSettings, build_service
from identity_graph.errors import ConfigError, IdentityGraphError, ItemError
from identity_graph.graph.commit import BatchSummary
from identity_graph.matching.runner import IncrementalMatcher
from identity_graph.service.identity import (
    DEFAULT_BATCH_SIZE,
    IdentityService,
    IngestReport,
    StreamRejected,
    records_mapping,
)

app = typer.Typer(
    name="identity-graph",
    help="Graph-based identity resolution: identifiers become a graph, persons its components.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Store URL: sqlite:///path/graph.db (default sqlite:///./identity-graph.db) or "
        "neo4j://host:7687 (also bolt://, +s forms; credentials in the URL or NEO4J_USER / "
        "NEO4J_PASSWORD). Also read from IDENTITY_GRAPH_STORE.",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (TOML or YAML): thresholds, identifier types, junk values, limits. "
        "Also read from IDENTITY_GRAPH_CONFIG.",
        exists=True,
        dir_okay=False,
    ),
]


def _service(store: str | None, config: Path | None) -> IdentityService:
    runtime = RuntimeSettings()
    return build_service(store or runtime.store, config or runtime.config)


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _errors_table(errors: list[ItemError], path: Path, limit: int = 20) -> None:
    for e in errors[:limit]:
        console.print(
            escape(f"  {path}:{e.position}: {e.field}: {e.reason}"), highlight=False, soft_wrap=True
        )
    if len(errors) > limit:
        console.print(f"  ... and {len(errors) - limit} more")


@app.command()
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
        int, typer.Option(min=1, help="Items per transaction")
    ] = DEFAULT_BATCH_SIZE,
    skip_invalid: Annotated[
        bool, typer.Option(help="Drop bad items and report them, instead of stopping")
    ] = False,
) -> None:
    """Ingest Segment-spec events (JSONL) or CRM/loyalty records (CSV/JSONL, with --source).

    Each batch is one transaction. A batch with a bad item is rejected whole and the command
    stops, listing every bad item; batches before it stay. Re-running after fixing the file
    is safe: replayed events and unchanged records change nothing.
    """
    try:
        service = _service(store, config)
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    total = IngestReport()
    incremental: IncrementalMatcher | None = None
    try:
        for path in files:
            if not path.is_file():
                raise _fail(f"{path}: no such file")
            if source is None and path.suffix.lower() == ".csv":
                raise _fail(f"{path}: CSV files hold records; say whose with --source (e.g. crm)")
            after_batch = None
            if source is not None:
                m = records_mapping(path, source, mapping, service.normalizer.types)
                parser = service.record_parser(m)
                if incremental is None:
                    incremental = service.matcher.incremental()
                    if incremental is None:
                        console.print(
                            "no match model in this store yet: records are linked on their "
                            "identifiers only; run `identity-graph match` to train one"
                        )
                if incremental is not None:
                    after_batch = incremental.add_observations
            else:
                parser = service.event_parser()
            report = ingest_file(
                service,
                path,
                parser,
                console,
                batch_size=batch_size,
                skip_invalid=skip_invalid,
                after_batch=after_batch,
            )
            total.summary.add(report.summary)
            total.batches += report.batches
            if report.errors:
                console.print(
                    f"[yellow]{path}: skipped {len(report.errors)} problem(s):[/]", soft_wrap=True
                )
                _errors_table(report.errors, path)
    except StreamRejected as exc:
        done = exc.report.summary.items
        console.print(
            f"[bold red]error:[/] {files[0] if len(files) == 1 else 'input'}: batch of lines "
            f"{exc.first_position}-{exc.last_position} rejected, {len(exc.errors)} problem(s); "
            f"nothing of it was written:",
            highlight=False,
            soft_wrap=True,
        )
        _errors_table(exc.errors, path)
        console.print(
            f"{done} item(s) of earlier batches were committed. Fix the input and run again "
            "(replays change nothing), or pass --skip-invalid."
        )
        raise typer.Exit(1) from None
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    finally:
        service.store.close()
    _print_summary(total.summary, service)
    if incremental is not None:
        s = incremental.summary
        out.print(
            f"probabilistic matching (model {s.model_version}): {s.pairs_scored:,} candidate "
            f"pairs >= review threshold, {s.linked:,} linked, {s.queued:,} queued for review"
            + (
                f", {s.changed_later:,} changed records left for `identity-graph match`"
                if s.changed_later
                else ""
            )
        )


def _print_summary(summary: BatchSummary, service: IdentityService | None = None) -> None:
    table = Table(title="ingest summary", show_header=False)
    for label, value in [
        ("items read", summary.items),
        ("replayed (unchanged)", summary.replayed),
        ("invalid, skipped", summary.invalid_skipped),
        ("placeholder values dropped", summary.placeholders_dropped),
        ("new identifiers", summary.identifiers_new),
        ("persons created", summary.persons_created),
        ("merges", summary.merges),
        ("merges refused by rules", summary.merges_refused),
        ("hubs flagged", summary.hubs_flagged),
        ("persons split (hubs)", summary.splits),
    ]:
        table.add_row(label, f"{value:,}")
    out.print(table)


@app.command()
def match(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    retrain: Annotated[
        bool, typer.Option(help="Train a new model even if the store has one")
    ] = False,
) -> None:
    """Probabilistic matching of every record in the store (CRM, loyalty, ...).

    Trains a Fellegi-Sunter model on the records (first run, or --retrain; steward
    decisions refine it), scores candidate pairs, links those at or above the merge
    threshold and queues those from the review threshold up for a steward.
    """
    try:
        service = _service(store, config)
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    try:
        with console.status("matching") as status:
            summary = service.match(retrain=retrain, on_progress=lambda m: status.update(m))
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    finally:
        service.store.close()
    table = Table(title="match summary", show_header=False)
    for label, value in [
        ("records", f"{summary.records:,}"),
        ("model", f"{summary.model_version}{' (trained now)' if summary.trained else ''}"),
        ("pairs scored >= review threshold", f"{summary.pairs_scored:,}"),
        ("linked (>= merge threshold)", f"{summary.linked:,}"),
        ("queued for review", f"{summary.queued:,}"),
        ("skipped (linked or decided before)", f"{summary.skipped_decided:,}"),
        ("merges", f"{summary.clustering.merges:,}"),
        ("merges refused by rules", f"{summary.clustering.merges_refused:,}"),
    ]:
        table.add_row(label, value)
    out.print(table)
    rules = Table(title=f"blocking: {summary.candidate_pairs:,} candidate pairs")
    rules.add_column("rule")
    rules.add_column("pairs", justify="right")
    for rule, pairs in summary.pairs_by_rule.items():
        rules.add_row(rule, f"{pairs:,}")
    out.print(rules)
    if summary.skipped_blocks:
        biggest = sorted(summary.skipped_blocks, key=lambda b: -b[1])[:5]
        console.print(
            f"[yellow]{len(summary.skipped_blocks)} block(s) over the size cap were skipped[/] "
            "(largest: " + ", ".join(f"{r} x{n:,}" for r, n in biggest) + ")"
        )


model_app = typer.Typer(help="The probabilistic match model.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("show")
def model_show(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Show the newest match model: version, blocking rules, levels, m/u, prior."""
    try:
        service = _service(store, config)
        model = service.matcher.model()
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    finally:
        pass
    service.store.close()
    if model is None:
        raise _fail("no match model in this store yet: run `identity-graph match` first")
    out.print(model.describe(), highlight=False, soft_wrap=True)


@app.command()
def resolve(
    input: Annotated[Path, typer.Argument(help="CSV of person records, one per row")],
    id_column: Annotated[str, typer.Option(help="Column with each row's unique ID")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write ID,person_id")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="Column mapping (YAML/JSON); inferred from headers if absent"),
    ] = None,
    date_order: Annotated[
        str | None, typer.Option(help="Read slashed dates day first (dmy) or month first (mdy)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Resolve the rows of a CSV file to persons: deterministic (email, phone) and
    probabilistic (names, birth date, address) matching in a temporary store.

    Writes one row per input row, `ID,person_id`, in input order.
    """
    from identity_graph.service.resolve_file import resolve_file

    if not input.is_file():
        raise _fail(f"{input}: no such file")
    if date_order not in (None, "dmy", "mdy"):
        raise _fail(f"--date-order must be dmy or mdy, got {date_order!r}")
    try:
        with console.status("resolving") as status:
            result = resolve_file(
                input,
                id_column,
                output,
                mapping=mapping,
                date_order=date_order,
                config=config or RuntimeSettings().config,
                on_progress=status.update,
            )
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"{result.rows:,} rows -> {result.persons:,} persons "
        f"({result.linked:,} probabilistic links, {result.review:,} pairs in the review band "
        f"left unmerged, {result.invalid_values:,} invalid values ignored); wrote {output}"
    )


@app.command()
def stats(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Counts of identifiers, links, persons, hubs and refused merges in a store."""
    try:
        service = _service(store, config)
        s = service.stats()
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    service.store.close()
    table = Table(show_header=False)
    for name, value in s.model_dump().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    out.print(table)


@app.command()
def serve(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log every request line. Off by default: URLs carry identifiers "
            "(personal data), which must not reach logs."
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import os

    import uvicorn

    runtime = RuntimeSettings()
    url = store or runtime.store
    cfg = config or runtime.config
    try:  # fail here, with a clear message, rather than inside the server's lifespan
        build_service(url, cfg).store.close()
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    # The app factory reads these in every worker process.
    os.environ["IDENTITY_GRAPH_STORE"] = url
    if cfg is not None:
        os.environ["IDENTITY_GRAPH_CONFIG"] = str(cfg)
    console.print(f"serving {url} on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "identity_graph.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="info",
    )


@app.command()
def demo(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    people: Annotated[int, typer.Option(min=10, help="Size of the synthetic population")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data")] = 42,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: about 10 per person)")
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="Where to write the generated files")] = Path(
        "demo-data"
    ),
    fresh: Annotated[bool, typer.Option(help="Empty the store first")] = True,
    match: Annotated[
        bool, typer.Option(help="Also match CRM and loyalty records probabilistically")
    ] = True,
) -> None:
    """Generate a synthetic population, ingest it, resolve persons and score them."""
    from identity_graph.devtools.demo import run_demo

    try:
        service = _service(store, config)
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    try:
        run_demo(
            service,
            people=people,
            seed=seed,
            n_events=events,
            data_dir=data_dir,
            fresh=fresh,
            console=console,
            out=out,
            match=match,
        )
    except IdentityGraphError as exc:
        raise _fail(str(exc)) from None
    finally:
        service.store.close()
    url = service.store.url
    out.print(
        f"\nNext: serve the API on this store with\n  identity-graph serve --store {url}\n"
        "then open http://127.0.0.1:8000/docs"
    )


@app.command()
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    from identity_graph.cli.runtime import Neo4jCredentials
    from identity_graph.stores import open_store
    from identity_graph.stores.migrate import MigrationError
    from identity_graph.stores.migrate import migrate as run_migration

    if source.rstrip("/") == target.rstrip("/"):
        raise _fail("--from and --to name the same store")
    auth = Neo4jCredentials().auth()
    try:
        src = open_store(source, neo4j_auth=auth)
    except IdentityGraphError as exc:
        raise _fail(f"--from: {exc}") from None
    try:
        dst = open_store(target, neo4j_auth=auth)
    except IdentityGraphError as exc:
        src.close()
        raise _fail(f"--to: {exc}") from None
    console.print(f"copying {src.url} -> {dst.url}")
    try:
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

            report = run_migration(src, dst, batch_size=batch_size, on_progress=on_progress)
    except MigrationError as exc:
        table = Table(title="row counts differ", show_header=True)
        for column in ("kind", "source", "target"):
            table.add_column(column)
        for kind, (s, t) in exc.differences.items():
            table.add_row(kind, f"{s:,}", f"{t:,}")
        console.print(table)
        raise _fail(f"migration incomplete: {exc}") from None
    except IdentityGraphError as exc:
        raise _fail(f"migration failed (re-running it is safe): {exc}") from None
    finally:
        src.close()
        dst.close()
    table = Table(title=f"migrated {src.url} -> {dst.url}")
    for column in ("kind", "source rows", "target rows", "copied"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for kind, n in report.source_counts.items():
        table.add_row(
            kind, f"{n:,}", f"{report.target_counts[kind]:,}", f"{report.copied.get(kind, 0):,}"
        )
    out.print(table)
    out.print(f"counts match on both sides ({report.batches:,} transactions)")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
