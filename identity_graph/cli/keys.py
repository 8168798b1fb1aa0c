"""`identity-graph keys ...`: API keys for the HTTP API (created, listed, revoked)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, console, out, service_session
from identity_graph.security.keys import ROLE_HELP, ROLES

keys_app = typer.Typer(
    help="API keys: every HTTP route but the probes and docs needs one.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON")]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="Who does this, for the audit trail (default: your user name)"),
]
_ROLES_HELP = "; ".join(f"{role}: {text}" for role, text in ROLE_HELP.items())


def _by(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name (some containers)
        return "cli"


@keys_app.command("create")
def keys_create(
    name: Annotated[
        str, typer.Option("--name", help="The key's name: the actor in the audit trail")
    ],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}. {_ROLES_HELP}")],
    segment: Annotated[
        list[str] | None,
        typer.Option("--segment", help="exporter only: a segment it may export (repeatable)"),
    ] = None,
    destination: Annotated[
        list[str] | None,
        typer.Option(
            "--destination", help="exporter only: a destination it may export to (repeatable)"
        ),
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    by: ByOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key and print it once: only its hash is stored."""
    with service_session(store, config) as service:
        info, key = service.keys.create(
            name, role, segments=segment or [], destinations=destination or [], by=_by(by)
        )
    if as_json:
        typer.echo(json.dumps({"name": info.name, "role": info.role, "key": key}))
        return
    console.print(f"created API key {info.name} ({info.role}); it is shown only this once:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(store: StoreOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every API key (never the keys themselves), revoked ones included."""
    with service_session(store, config) as service:
        rows = service.keys.list()
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in rows]))
        return
    table = Table("name", "role", "scope", "created", "revoked")
    for r in rows:
        scope = ", ".join(
            [*(f"segment {s}" for s in r.segments), *(f"destination {d}" for d in r.destinations)]
        )
        table.add_row(r.name, r.role, scope, r.created_at, r.revoked_at or "")
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="The key's name")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Refuse a key from now on (running servers within 5 seconds). Its name stays taken."""
    with service_session(store, config) as service:
        info = service.keys.revoke(name, by=_by(by))
    out.print(f"API key {info.name} revoked at {info.revoked_at}")
