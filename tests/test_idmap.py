"""The identity map as a table, as warehouses expect from an ID stitcher."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from identity_graph.cli import app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests.helpers import all_assignments, event, login


def test_every_identifier_maps_to_its_current_person(store: GraphStore) -> None:
    service = IdentityService(store, Settings())
    service.ingest_events(
        [login("u1", "c1", email="Anna@Example.com"), event("page", anonymousId="c2")]
    )
    service.ingest_events([login("u1", "c2")])  # the cookie's person merges into u1's
    rows = list(service.identity_map())
    assert sorted(rows) == sorted(
        (key.split(":", 1)[0], key.split(":", 1)[1], pid)
        for key, pid in all_assignments(store).items()
    )
    assert ("email", "anna@example.com") in {(t, v) for t, v, _ in rows}
    assert len({pid for _, _, pid in rows}) == 1


def test_cli_writes_the_map_as_csv(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    events = tmp_path / "e.jsonl"
    events.write_text(json.dumps(login("u1", "c1", email="a@x.org")) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(events), "--store", url]).exit_code == 0
    out = tmp_path / "idmap.csv"
    r = runner.invoke(app, ["idmap", "-o", str(out), "--store", url])
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["type", "value", "person_id"]
    assert sorted((t, v) for t, v, _ in rows[1:]) == [
        ("cookie", "c1"),
        ("customer_id", "u1"),
        ("email", "a@x.org"),
    ]
    assert len({p for _, _, p in rows[1:]}) == 1 and "3 identifiers" in r.output
