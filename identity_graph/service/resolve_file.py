"""`identity-graph resolve`: a CSV of person records in, `ID,person_id` out.

The rows go through the same path as CRM records (email and phone stitch
deterministically, names, birth date and address match probabilistically) in a throw-away
SQLite store; nothing else is needed for a CSV whose headers name common fields.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from identity_graph.config import load_settings
from identity_graph.errors import ConfigError, ItemError
from identity_graph.ingest.readers import Item, csv_header, read_csv
from identity_graph.ingest.records import ATTRIBUTES, RecordMapping
from identity_graph.matching.standardize import normalize_header
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import Ingest, StreamRejected
from identity_graph.stores.sqlite import SQLiteStore

RECORD_TYPE = "record"


@dataclass
class ResolveResult:
    rows: int
    persons: int
    linked: int
    review: int
    invalid_values: int


def infer_mapping(columns: list[str], id_column: str) -> RecordMapping:
    if id_column not in columns:
        raise ConfigError(f"--id-column {id_column!r} is not a column; the columns are {columns}")
    names = {c: normalize_header(c) for c in columns if c != id_column}
    return RecordMapping(
        source="input",
        id_column=id_column,
        id_type=RECORD_TYPE,
        identifiers={c: n for c, n in names.items() if n in ("email", "phone")},
        attributes={c: n for c, n in names.items() if n in ATTRIBUTES},
    )


def resolve_file(
    path: Path,
    id_column: str,
    output: Path,
    *,
    mapping: Path | None = None,
    date_order: str | None = None,
    config: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> ResolveResult:
    say: Callable[[str], None] = on_progress or (lambda _: None)
    base = load_settings(config)
    types = {**base.identifier_types, RECORD_TYPE: "trim"}
    # One person may hold any number of input rows: no per-type limits here.
    settings = load_settings(
        config, identifier_types=types, type_limits={}, date_order=date_order or base.date_order
    )
    m = (
        RecordMapping.load(mapping)
        if mapping is not None
        else infer_mapping(csv_header(path), id_column)
    )
    if m.id_type != RECORD_TYPE:
        m = m.model_copy(update={"id_type": RECORD_TYPE})
    with tempfile.TemporaryDirectory(prefix="identity-graph-resolve-") as tmp:
        service = IdentityService(
            SQLiteStore(f"sqlite:///{Path(tmp) / 'resolve.db'}", synchronous="OFF"), settings
        )
        try:
            # A fresh store has no match model: records are matched all at once below.
            ingest = Ingest(service, batch_size=20_000, match_new_records=False)
            say("ingesting rows")
            try:
                ingest.items(
                    _unique_ids(path, id_column),
                    service.record_parser(m, lenient=True),
                    name=path.name,
                    records=True,
                )
            except StreamRejected as exc:
                shown = "; ".join(
                    f"line {e.position}: {e.field}: {e.reason}" for e in exc.errors[:5]
                )
                raise ConfigError(f"{path}: {shown}") from None
            say("matching")
            summary = service.match(retrain=True, on_progress=say)
            say("writing")
            rows = _write(path, id_column, output, service)
            persons = service.stats().persons
        finally:
            service.close()
    return ResolveResult(
        rows=rows,
        persons=persons,
        linked=summary.linked,
        review=summary.queued,
        invalid_values=ingest.total.summary.placeholders_dropped,
    )


def _unique_ids(path: Path, id_column: str) -> Iterator[Item]:
    seen: dict[str, int] = {}
    for number, row, size in read_csv(path):
        if isinstance(row, dict):
            rid = str(row.get(id_column) or "").strip()
            if rid in seen:
                yield (
                    number,
                    ItemError(number, id_column, f"repeats the ID of line {seen[rid]}"),
                    size,
                )
                continue
            seen[rid] = number
        yield number, row, size


def _write(path: Path, id_column: str, output: Path, service: IdentityService) -> int:
    rows = 0
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([id_column, "person_id"])
        for _, row, _ in read_csv(path):
            assert isinstance(row, dict)
            rid = str(row[id_column]).strip()
            writer.writerow([rid, service.person_id_of(f"{RECORD_TYPE}:{rid}") or ""])
            rows += 1
    tmp.replace(output)
    return rows
