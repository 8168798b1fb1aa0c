"""`identity-graph batches | remove | merge | split | hubs ...`: the graph's lifecycle
from the command line (the same use cases as the steward routes, audited with `--by`)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, fail, out, service_session
from identity_graph.ingest.limits import MAX_ID, MAX_TEXT
from identity_graph.service.lifecycle import PersonsOutcome, Removed

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
ByOpt = Annotated[str, typer.Option("--by", help="Who does this, for the audit trail")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why, for the audit trail")]

hubs_app = typer.Typer(
    help="Hubs: identifiers whose links stopped stitching (call-centre cookies, shared "
    "devices); a steward confirms or releases them.",
    no_args_is_help=True,
)


def _check(by: str, reason: str) -> None:
    if not 0 < len(by.strip()) <= MAX_ID:
        raise fail(f"--by must hold 1 to {MAX_ID} characters")
    if not 0 < len(reason.strip()) <= MAX_TEXT:
        raise fail(f"--reason must hold 1 to {MAX_TEXT} characters")


def _print_json(model: BaseModel | list[BaseModel]) -> None:
    if isinstance(model, list):
        out.print_json(json.dumps([m.model_dump(mode="json") for m in model]))
    else:
        out.print_json(model.model_dump_json())


def _print_persons(p: PersonsOutcome) -> None:
    out.print(
        f"persons: {len(p.kept)} kept, {len(p.created)} split off, {len(p.deleted)} left "
        "without identifiers" + (f" ({p.truncated} more not listed)" if p.truncated else "")
    )
    for c in p.created:
        out.print(f"  {c.person_id} split from {c.split_from}")
    for d in p.deleted:
        out.print(f"  {d} has no identifiers left")


def batches(
    source: Annotated[
        str | None, typer.Option(help="Only batches with evidence of this source")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many")] = 100,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List ingest batches (newest first) and what each wrote (its provenance)."""
    with service_session(store, config) as service:
        rows = service.lifecycle.batches(source, limit)
    if as_json:
        _print_json(list(rows))
        return
    table = Table(title="ingest batches")
    for col in ("batch ID", "at", "sources", "links", "records", "activity", "consent", "new ids"):
        table.add_column(col)
    for b in rows:
        table.add_row(
            b.batch_id,
            b.at,
            ",".join(b.sources),
            f"{b.links:,}",
            f"{b.records:,}",
            f"{b.activity:,}",
            f"{b.consent:,}",
            f"{b.identifiers:,}",
        )
    out.print(table)


def remove(
    by: ByOpt,
    reason: ReasonOpt,
    link: Annotated[
        tuple[str, str] | None,
        typer.Option("--link", help="A link: its two identifiers, TYPE:VALUE TYPE:VALUE"),
    ] = None,
    identifier: Annotated[
        str | None, typer.Option("--identifier", help="An identifier, TYPE:VALUE")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Everything of one source")] = None,
    batch: Annotated[
        str | None, typer.Option("--batch", help="Everything of one ingest batch")
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take evidence back (one of --link, --identifier, --source, --batch) and re-cluster the
    persons it touched. A big source or batch is taken back in chunks: if interrupted,
    running the same command again finishes the job."""
    _check(by, reason)
    if sum(x is not None for x in (link, identifier, source, batch)) != 1:
        raise fail("give exactly one of --link, --identifier, --source, --batch")
    with service_session(store, config) as service:
        result = service.lifecycle.remove(
            link=list(link) if link is not None else None,
            identifier=identifier,
            source=source,
            batch=batch,
            by=by,
            reason=reason,
        )
    if as_json:
        _print_json(result)
        return
    _print_removed(result.removed)
    _print_persons(result.persons)


def _print_removed(r: Removed) -> None:
    table = Table(title="removed", show_header=False)
    for label, value in [
        ("links deleted", r.links_deleted),
        ("links with other evidence, counts lowered", r.links_updated),
        ("records deleted", r.records_deleted),
        ("activity rows subtracted", r.activity_subtracted),
        ("consent signals deleted", r.consent_deleted),
        ("identifiers deleted", r.identifiers_deleted),
        ("provenance rows", r.provenance_removed),
    ]:
        table.add_row(label, f"{value:,}")
    out.print(table)


def merge(
    person_a: Annotated[str, typer.Argument(help="A person ID")],
    person_b: Annotated[str, typer.Argument(help="Another person ID")],
    by: ByOpt,
    reason: ReasonOpt,
    lift_cannot_links: Annotated[
        bool,
        typer.Option(
            help="Override the cannot-links between the two persons (undo a split): they "
            "become active links again"
        ),
    ] = False,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge two persons with a steward must-link (MERGED_INTO lineage)."""
    _check(by, reason)
    with service_session(store, config) as service:
        result = service.lifecycle.merge(
            [person_a, person_b], by, reason, lift_cannot_links=lift_cannot_links
        )
    if as_json:
        _print_json(result)
        return
    out.print(f"merged {', '.join(result.merged)} into {result.person_id}")


def split(
    person_id: Annotated[str, typer.Argument(help="The person to split")],
    group: Annotated[
        list[str],
        typer.Option(
            "--group",
            help="Identifiers that go together, TYPE:VALUE,TYPE:VALUE (repeat for each group; "
            "identifiers not named join the first group)",
        ),
    ],
    by: ByOpt,
    reason: ReasonOpt,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Split a person into the groups named; cannot-links keep them apart from then on."""
    _check(by, reason)
    groups = [[k.strip() for k in g.split(",") if k.strip()] for g in group]
    with service_session(store, config) as service:
        result = service.lifecycle.split(person_id, groups, by, reason)
    if as_json:
        _print_json(result)
        return
    out.print(f"{result.cannot_links} link(s) between the groups became cannot-links")
    for i, g in enumerate(result.groups):
        state = " (fell apart: its own links do not hold it together)" if g.fell_apart else ""
        out.print(f"group {i + 1}: {g.identifiers} identifier(s) -> {', '.join(g.persons)}{state}")
    _print_persons(result.persons)


@hubs_app.command("list")
def hubs_list(
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many")] = 100,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hubs (flagged or confirmed) with the persons they touch."""
    with service_session(store, config) as service:
        rows = service.lifecycle.hubs(limit)
    if as_json:
        _print_json(list(rows))
        return
    table = Table(title="hubs")
    for col in ("key", "status", "persons touched", "reason"):
        table.add_column(col)
    for h in rows:
        table.add_row(h.key, h.status, str(len(h.persons)), h.reason)
    out.print(table)


@hubs_app.command("confirm")
def hubs_confirm(
    key: Annotated[str, typer.Argument(help="The hub identifier, TYPE:VALUE")],
    by: ByOpt,
    reason: ReasonOpt,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """It is a hub: it never stitches (sticky)."""
    _check(by, reason)
    with service_session(store, config) as service:
        result = service.lifecycle.confirm_hub(key, by, reason)
    if as_json:
        _print_json(result)
        return
    out.print(f"{result.key}: {result.status}")


@hubs_app.command("release")
def hubs_release(
    key: Annotated[str, typer.Argument(help="The hub identifier, TYPE:VALUE")],
    by: ByOpt,
    reason: ReasonOpt,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """It is no hub: its links stitch again (merge rules hold) and it is never flagged
    again."""
    _check(by, reason)
    with service_session(store, config) as service:
        result = service.lifecycle.release_hub(key, by, reason)
    if as_json:
        _print_json(result)
        return
    out.print(
        f"{result.key}: released; {result.merges} merge(s), {result.merges_refused} refused by "
        f"merge rules, {result.hubs_flagged} other hub(s) flagged"
    )
