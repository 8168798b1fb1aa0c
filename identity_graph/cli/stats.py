"""`identity-graph stats`: what a store holds."""

from __future__ import annotations

from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, out, service_session


def stats(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Counts of identifiers, links, persons, hubs and refused merges in a store."""
    with service_session(store, config) as service:
        s = service.stats()
    table = Table(show_header=False)
    for name, value in s.model_dump().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    out.print(table)
