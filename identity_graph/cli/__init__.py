"""The `identity-graph` command line: the only place that reads the environment.

One module per command group; this one puts them together in the order `--help` lists.
"""

from __future__ import annotations

import sys

import typer

# The modules, not their functions: `identity_graph.cli.serve` stays the module.
from identity_graph.cli import (
    audiences,
    audit,
    demo,
    erase,
    idmap,
    ingest,
    keys,
    lifecycle,
    matching,
    migrate,
    serve,
    stats,
)

app = typer.Typer(
    name="identity-graph",
    help="Graph-based identity resolution: identifiers become a graph, persons its components.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(ingest.ingest)
app.command()(matching.match)
app.add_typer(matching.model_app, name="model")
app.command()(matching.resolve)
app.add_typer(audiences.segment_app, name="segment")
app.command()(audiences.export)
app.add_typer(audiences.destination_app, name="destination")
app.command()(idmap.idmap)
app.command()(stats.stats)
app.command()(serve.serve)
app.add_typer(keys.keys_app, name="keys")
app.command()(audit.audit)
app.command()(lifecycle.batches)
app.command()(lifecycle.remove)
app.command()(lifecycle.merge)
app.command()(lifecycle.split)
app.add_typer(lifecycle.hubs_app, name="hubs")
app.command()(demo.demo)
app.command()(migrate.migrate)
app.command()(erase.erase)

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
