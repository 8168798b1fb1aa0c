"""`identity-graph idmap`: the identity map as a table (type, value, person_id)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from identity_graph.cli.common import ConfigOpt, StoreOpt, console, out, service_session
from identity_graph.exports.files import CsvParts

COLUMNS = ("type", "value", "person_id")


def idmap(
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write every identifier of the store with its person: `type,value,person_id`.

    What a warehouse joins its tables on to count per person. Streamed from one read
    snapshot; the file appears complete or not at all.
    """
    with (
        service_session(store, config) as service,
        console.status("writing the identity map") as status,
        CsvParts(output, COLUMNS, batch_size=1) as w,
    ):
        for row in service.identity_map():
            w.write(row)
            if w.rows % 100_000 == 0:
                status.update(f"writing the identity map: {w.rows:,} identifiers")
    out.print(f"{w.rows:,} identifiers written to {output}", highlight=False)
