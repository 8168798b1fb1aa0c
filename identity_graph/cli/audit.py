"""`identity-graph audit`: the audit trail, filtered like GET /v1/audit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, out, service_session

_ISO = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"]


def audit(
    person: Annotated[
        str | None,
        typer.Option(
            "--person", help="Rows naming this person ID, and rows naming its identifiers now"
        ),
    ] = None,
    identifier: Annotated[
        str | None, typer.Option("--identifier", help="Rows naming this TYPE:VALUE")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", help="Rows at or after (UTC unless an offset)", formats=_ISO),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option("--until", help="Rows before (UTC unless an offset)", formats=_ISO),
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="e.g. review.approve, person.merge")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Rows of this subject")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 100,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The audit trail, newest first: who did what, when, to which persons and identifiers.
    Every filter given is AND-ed."""
    with service_session(store, config) as service:
        rows = service.audit(
            limit,
            subject,
            person=person,
            identifier=identifier,
            since=since,
            until=until,
            action=action,
        )
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows]))
        return
    table = Table("at", "actor", "action", "subject", "persons", "reason")
    for r in rows:
        reason = r.detail.get("reason") or r.detail.get("comment") or ""
        table.add_row(
            r.at,
            escape(r.actor),
            r.action,
            escape(r.subject),
            ", ".join(r.persons),
            escape(str(reason)),
        )
    out.print(table)
