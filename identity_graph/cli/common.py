"""What every command shares: the consoles, the --store and --config options, error
printing, and the service built from the options and the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from identity_graph.cli.runtime import build_service, runtime_settings
from identity_graph.errors import IdentityGraphError, ItemError, StoreError
from identity_graph.service.identity import IdentityService

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


def store_and_config(store: str | None, config: Path | None) -> tuple[str, Path | None]:
    """The options, else the IDENTITY_GRAPH_STORE / IDENTITY_GRAPH_CONFIG variables;
    ConfigError for an invalid IDENTITY_GRAPH_* variable."""
    runtime = runtime_settings()
    return store or runtime.store, config or runtime.config


def open_service(store: str | None, config: Path | None) -> IdentityService:
    """The service on the store the options name; a bad URL or settings file exits 1."""
    try:
        return build_service(*store_and_config(store, config))
    except IdentityGraphError as exc:
        raise fail(describe(exc)) from None


@contextmanager
def service_session(store: str | None, config: Path | None) -> Iterator[IdentityService]:
    """The service for one command: closed at the end; an error of the core exits 1."""
    service = open_service(store, config)
    try:
        yield service
    except IdentityGraphError as exc:
        raise fail(describe(exc)) from None
    finally:
        service.close()


def describe(exc: IdentityGraphError) -> str:
    """What went wrong, for the user; a failed store query without its text, which may hold
    identifiers (personal data)."""
    if isinstance(exc, StoreError) and exc.query is not None:
        return str(exc).removesuffix(f"\nquery: {exc.query}")
    return str(exc)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` and return the exit to raise."""
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def print_item_errors(errors: list[ItemError], path: Path, limit: int = 20) -> None:
    for e in errors[:limit]:
        console.print(
            escape(f"  {path}:{e.position}: {e.field}: {e.reason}"), highlight=False, soft_wrap=True
        )
    if len(errors) > limit:
        console.print(f"  ... and {len(errors) - limit} more")
