"""Durable person IDs through GET /v1/persons/{id}, on every store: an ID once given out
always resolves (merged: the current person and the path; split: itself and its pieces;
deleted by evidence removal: 410 with the lineage; erased or unknown: 404)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.ids import PersonId as P
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import Ingest
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, LineageRow, MergeRow, NewIdentifierRow, Person
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, event, issue_key, login, person_of

T0 = "2025-01-01T00:00:00.000000Z"
T1 = "2025-02-01T00:00:00.000000Z"
T2 = "2025-03-01T00:00:00.000000Z"


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    settings = Settings().model_copy(update={"type_limits": {}, "hub_limit": 2})
    app = create_app(service_factory=lambda: IdentityService(store, settings))
    with TestClient(app, headers=bearer(issue_key(store, "reader", "desk-reader"))) as c:
        yield c


def _apply(store: GraphStore, **fields: object) -> None:
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=str(fields.pop("at", T1)), **fields))  # type: ignore[arg-type]


def _split_then_merge(store: GraphStore, owner: str, merged: tuple[str, str], why: str) -> None:
    """p1, p2, p3 with p2 SPLIT_FROM p1 (the identifiers: cookie:a in p1, cookie:b in
    `owner`), then `merged` = (loser, winner) MERGED_INTO."""
    _apply(
        store,
        persons=[Person(P(p), T0, T0) for p in ("p1", "p2", "p3")],
        new_identifiers=[_ident("cookie:a", "p1"), _ident("cookie:b", owner)],
        lineage=[LineageRow(P("p2"), P("p1"), "SPLIT_FROM", T1, "hub")],
    )
    loser, winner = P(merged[0]), P(merged[1])
    _apply(
        store,
        at=T2,
        merges=[MergeRow(loser, winner, winner)],
        lineage=[LineageRow(loser, winner, "MERGED_INTO", T2, why)],
    )


def _ident(key: str, person: str) -> NewIdentifierRow:
    type_, _, value = key.partition(":")
    return NewIdentifierRow(key, type_, value, T0, T0, person)  # type: ignore[arg-type]


def test_a_merged_id_answers_with_the_current_person_and_the_path(
    client: TestClient, store: GraphStore
) -> None:
    service = IdentityService(store, Settings())
    service.ingest_events(
        [login("u1", "c1"), event("page", anonymousId="c1", device="d1", email="a@x.io")]
    )
    service.ingest_events([event("page", anonymousId="c2", device="d2")])
    service.ingest_events([event("page", anonymousId="c3")])
    small, middle = person_of(service, "cookie:c3"), person_of(service, "cookie:c2")
    service.ingest_events([event("page", anonymousId="c3", device="d2")])  # small -> middle
    service.ingest_events([event("page", anonymousId="c2", userId="u1")])  # middle -> big
    current = person_of(service, "customer_id:u1")
    assert len({small, middle, current}) == 3
    body = client.get(f"/v1/persons/{small}").json()
    assert body["person_id"] == current and body["redirected_from"] == small
    assert [(s["from_id"], s["to_id"], s["kind"]) for s in body["lineage"]] == [
        (small, middle, "MERGED_INTO"),
        (middle, current, "MERGED_INTO"),
    ]
    assert all(s["at"] and s["reason"] for s in body["lineage"])
    assert {i["key"] for i in body["identifiers"]} >= {"cookie:c3", "cookie:c2"}
    own = client.get(f"/v1/persons/{current}").json()
    assert own["lineage"] == [] and own["redirected_from"] is None
    assert own["split_from"] is None and own["split_into"] == []


def test_a_split_keeps_the_id_and_lists_its_pieces(client: TestClient) -> None:
    """The hub rule's split (graph/split.py): the largest piece keeps the ID."""
    service: IdentityService = client.app.state.service  # type: ignore[attr-defined]
    service.ingest_events([login(u, f"own-{u}") for u in ("a", "b", "c")])
    first = person_of(service, "customer_id:a")
    service.ingest_events([login("a", "tablet"), login("b", "tablet")])
    assert person_of(service, "customer_id:b") == first
    service.ingest_events([login("c", "tablet")])
    # The tablet became a hub: first fell into {a, own-a}, {b, own-b} and the tablet.
    pieces = {person_of(service, k) for k in ("customer_id:a", "customer_id:b", "cookie:tablet")}
    assert first in pieces and len(pieces) == 3
    kept = client.get(f"/v1/persons/{first}").json()
    assert kept["person_id"] == first and kept["redirected_from"] is None
    assert kept["split_from"] is None
    assert sorted(kept["split_into"]) == sorted(pieces - {first})
    for piece in pieces - {first}:
        got = client.get(f"/v1/persons/{piece}").json()
        assert got["person_id"] == piece and got["split_from"] == first
        assert got["split_into"] == [] and got["lineage"] == []


def test_pieces_are_listed_by_their_current_ids(client: TestClient, store: GraphStore) -> None:
    # The piece p2 was merged into p3 later (its identifiers live there now).
    _split_then_merge(store, "p3", ("p2", "p3"), "linked identifiers")
    assert client.get("/v1/persons/p1").json()["split_into"] == ["p3"]
    old_piece = client.get("/v1/persons/p2").json()
    assert old_piece["person_id"] == "p3"
    assert [(s["from_id"], s["to_id"], s["reason"]) for s in old_piece["lineage"]] == [
        ("p2", "p3", "linked identifiers")
    ]


def test_a_person_deleted_by_evidence_removal_is_410_with_its_lineage(
    client: TestClient, store: GraphStore
) -> None:
    _split_then_merge(store, "p2", ("p3", "p2"), "steward merge")
    # All of p2's evidence removed: its identifier is gone, its row stays.
    _apply(store, at=T2, delete_identifiers=["cookie:b"])
    for asked in ("p2", "p3"):
        r = client.get(f"/v1/persons/{asked}")
        assert r.status_code == 410, r.text
        body = r.json()
        assert body["code"] == "gone" and body["person_id"] == "p2"
        assert body["split_from"] == "p1"
        if asked == "p3":
            assert [(s["from_id"], s["to_id"]) for s in body["lineage"]] == [("p3", "p2")]
        else:
            assert body["lineage"] == []
    # The deleted piece is still listed under its ID (which answers 410).
    assert client.get("/v1/persons/p1").json()["split_into"] == ["p2"]


def test_an_erased_or_unknown_person_is_404(client: TestClient, store: GraphStore) -> None:
    _apply(
        store,
        persons=[Person("p1", T0, T0)],  # type: ignore[arg-type]
        new_identifiers=[_ident("cookie:a", "p1")],
    )
    assert client.get("/v1/persons/p1").status_code == 200
    _apply(store, at=T2, delete_identifiers=["cookie:a"], delete_persons=["p1"])
    for asked in ("p1", "never-given"):
        r = client.get(f"/v1/persons/{asked}")
        assert r.status_code == 404 and r.json()["code"] == "not_found"


def _ingest_all(
    service: IdentityService, files: list[tuple[Path, str | None]], *, match: bool
) -> None:
    ingest = Ingest(service, match_new_records=match)
    for path, source in files:
        ingest.file(path, source=source)


@pytest.mark.slow
def test_rerunning_resolution_over_unchanged_data_changes_no_person_id(
    store: GraphStore, tmp_path: Path
) -> None:
    """Demo-like data (events, CRM and loyalty records), matched; then the same files again,
    replayed and with new message IDs, matched again: every identifier keeps its person."""
    people = 250 if isinstance(store, SQLiteStore) else 40  # Neo4j: a small population
    pop = synthetic.make_population(people=people, seed=3)
    paths = synthetic.write_dataset(pop, tmp_path / "data")
    service = IdentityService(store, Settings())
    files: list[tuple[Path, str | None]] = [
        (paths.events, None),
        (paths.crm, "crm"),
        (paths.loyalty, "loyalty"),
    ]
    _ingest_all(service, files, match=False)  # as the demo does: one model over all
    first = service.match(retrain=True)
    assert first.linked > 0  # matching did stitch records: the re-run has work to redo
    before = dict(service.assignments())
    persons_before = service.stats().persons
    rows_before = service.row_counts()
    # The same events under new message IDs: new evidence, the same facts.
    again = tmp_path / "again.jsonl"
    with paths.events.open(encoding="utf-8") as src, again.open("w", encoding="utf-8") as dst:
        for line in src:
            event = json.loads(line)
            event["messageId"] = f"{event['messageId']}-again"
            dst.write(json.dumps(event) + "\n")
    # As `identity-graph ingest` re-runs: new records matched as they arrive (the model
    # exists now), the replayed ones change nothing, then the new events.
    _ingest_all(service, [*files, (again, None)], match=True)
    service.match(retrain=False)
    service.match(retrain=True)
    after = dict(service.assignments())
    assert after.keys() == before.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == set(), f"{len(changed)} identifiers changed person"
    assert service.stats().persons == persons_before
    # No person ID was even given out meanwhile (created, then merged away).
    rows_after = service.row_counts()
    assert (rows_after["persons"], rows_after["lineage"]) == (
        rows_before["persons"],
        rows_before["lineage"],
    )
