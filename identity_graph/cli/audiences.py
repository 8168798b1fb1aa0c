"""`identity-graph segment ...`, `destination ...` and `export`: audiences for ad platforms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, console, fail, out, service_session
from identity_graph.exports.files import CsvParts
from identity_graph.exports.platforms import PLATFORMS

segment_app = typer.Typer(
    help="Named segments: persons matching a JSON expression.", no_args_is_help=True
)
destination_app = typer.Typer(
    help="Destinations: an audience on one platform, with the ledger of what was sent to it.",
    no_args_is_help=True,
)

AsOfOpt = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        help="Evaluate time windows (within_days) at this UTC time instead of now",
        formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _read_definition(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"{path} is not JSON: {exc}") from None


@segment_app.command("create")
def segment_create(
    name: Annotated[str, typer.Argument(help="Segment name (lower-case, digits, _ . -)")],
    file: Annotated[Path, typer.Option("--file", help="The segment's JSON expression")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Create a segment, or replace the one of that name."""
    definition = _read_definition(file)
    with service_session(store, config) as service:
        _, created = service.audiences.save(name, definition)
    out.print(f"segment {name} {'created' if created else 'replaced'}")


@segment_app.command("list")
def segment_list(
    store: StoreOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Every stored segment (the ready-made lists are always there too)."""
    with service_session(store, config) as service:
        rows = service.audiences.list_segments()
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table("name", "updated", "definition")
    for r in rows:
        table.add_row(r.name, r.updated_at.isoformat(), json.dumps(r.definition)[:80])
    out.print(table)
    out.print("ready-made: existing_customers, open_complaint, bought:PRODUCT, exposed:CAMPAIGN:N")


@segment_app.command("show")
def segment_show(name: str, store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """A segment's JSON expression."""
    with service_session(store, config) as service:
        info = service.audiences.show(name)
    out.print_json(json.dumps(info.model_dump(mode="json")))


@segment_app.command("delete")
def segment_delete(name: str, store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Delete a segment (refused while another segment or a destination uses it)."""
    with service_session(store, config) as service:
        service.audiences.delete(name)
    out.print(f"segment {name} deleted")


@segment_app.command("count")
def segment_count(
    name: str,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    as_of: AsOfOpt = None,
) -> None:
    """How many persons are in a segment (or a ready-made list) now."""
    with service_session(store, config) as service:
        result = service.audiences.count(name, _utc(as_of))
    if as_json:
        typer.echo(json.dumps({"segment": result.segment, "count": result.count}))
    else:
        out.print(f"{result.count:,} persons in {name}")


@segment_app.command("members")
def segment_members(
    name: str,
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Write the person IDs of a segment to a CSV file (column person_id)."""
    with (
        service_session(store, config) as service,
        CsvParts(output, ["person_id"], batch_size=1) as w,
    ):
        for person_id in service.audiences.iter_members(name, _utc(as_of)):
            w.write((person_id,))
    out.print(f"{w.rows:,} persons written to {output}")


@segment_app.command("why")
def segment_why(
    name: str,
    person_id: str,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Is a person in a segment, and which criteria held through which identifiers."""
    with service_session(store, config) as service:
        why = service.audiences.why(name, person_id, _utc(as_of))
    out.print_json(why.model_dump_json())


@destination_app.command("create")
def destination_create(
    name: str,
    platform: Annotated[str, typer.Option(help=f"One of {', '.join(PLATFORMS)}")],
    segment: Annotated[str, typer.Option(help="The segment this destination receives")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Register a destination (an audience on one ad platform account)."""
    with service_session(store, config) as service:
        service.audiences.create_destination(name, platform, segment)
    out.print(f"destination {name} created: segment {segment} on {platform}")


@destination_app.command("list")
def destination_list(
    store: StoreOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Destinations with their last export and what they hold."""
    with service_session(store, config) as service:
        rows = service.audiences.destinations()
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table("name", "platform", "segment", "exports", "last export", "rows sent")
    for r in rows:
        last = r.last_export_at.isoformat() if r.last_export_at else "never"
        table.add_row(r.name, r.platform, r.segment, str(r.generation), last, f"{r.members_sent:,}")
    out.print(table)


@destination_app.command("delete")
def destination_delete(name: str, store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Forget a destination and its ledger."""
    with service_session(store, config) as service:
        service.audiences.delete_destination(name)
    out.print(f"destination {name} deleted")


def export(
    name: Annotated[str, typer.Argument(help="Segment (or ready-made list) to export")],
    platform: Annotated[str, typer.Option(help=f"One of {', '.join(PLATFORMS)}")],
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write")],
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Segment or ready-made list to leave out (repeatable)"),
    ] = None,
    destination: Annotated[
        str | None,
        typer.Option(help="Record this export in a destination's ledger (see `destination`)"),
    ] = None,
    delta: Annotated[
        bool,
        typer.Option(
            help="With --destination: write only what changed since its last export: rows to "
            "add to FILE, rows to remove to FILE's name with .remove before the suffix"
        ),
    ] = False,
    split: Annotated[
        bool, typer.Option(help="Cut the file into parts of the platform's upload batch size")
    ] = False,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a segment's persons to an ad platform's upload format, hashed its way.

    Only persons whose consent allows ad personalization are exported, whatever the
    segment says. Files are written complete or not at all.
    """
    if delta and destination is None:
        raise fail("--delta needs --destination NAME")
    with service_session(store, config) as service:
        progress = Progress(
            TextColumn("[bold]export"),
            TextColumn("{task.fields[persons]:,} persons, {task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal or as_json,
        )
        with progress:
            task = progress.add_task("export", persons=0, rows=0)
            outcome = service.audiences.export(
                name,
                platform,
                output,
                exclude=exclude or [],
                destination=destination,
                delta=delta,
                split=split,
                on_progress=lambda p, r: progress.update(task, persons=p, rows=r),
            )
    for warning in outcome.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    if as_json:
        typer.echo(outcome.model_dump_json())
        return
    what = "rows to add" if delta else "rows"
    out.print(f"{outcome.persons:,} persons, {outcome.rows:,} {what}", highlight=False)
    if delta:
        out.print(f"{outcome.removed:,} rows to remove", highlight=False)
    out.print(
        f"{outcome.uploads:,} upload request(s) of up to {outcome.batch_size:,} rows",
        highlight=False,
    )
    for f in outcome.files:
        out.print(f"  {f}", highlight=False)
