"""Write a whole synthetic dataset to files, streaming (nothing is held per event)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from identity_graph.devtools.synthetic.events import iter_events
from identity_graph.devtools.synthetic.population import Population
from identity_graph.devtools.synthetic.records import (
    CRM_COLUMNS,
    LOYALTY_COLUMNS,
    iter_crm_records,
    iter_loyalty_records,
)
from identity_graph.devtools.synthetic.truth import truth


class DatasetPaths(NamedTuple):
    events: Path
    crm: Path
    loyalty: Path
    truth: Path


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)  # None is written as an empty cell


def write_dataset(
    pop: Population, directory: str | Path, n_events: int | None = None
) -> DatasetPaths:
    """events.jsonl, crm.csv, loyalty.csv and truth.csv (key,person; hubs are -1)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = DatasetPaths(
        out / "events.jsonl", out / "crm.csv", out / "loyalty.csv", out / "truth.csv"
    )
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with paths.events.open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(dumps(event) + "\n" for event in iter_events(pop, n_events))
    _write_csv(paths.crm, CRM_COLUMNS, iter_crm_records(pop))
    _write_csv(paths.loyalty, LOYALTY_COLUMNS, iter_loyalty_records(pop))
    _write_csv(
        paths.truth,
        ("key", "person"),
        ({"key": key, "person": person} for key, person in truth(pop).items()),
    )
    return paths
