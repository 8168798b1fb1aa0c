"""The audit trail as stewards query it: GET /v1/audit (every store) and `identity-graph
audit` (CLI), by person, identifier, time and action, with readable subjects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from identity_graph.api import create_app
from identity_graph.cli import app
from identity_graph.config import Settings
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.review.decisions import pair_id
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, ReviewRow
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key, person_of

AT = "2025-03-01T00:00:00.000000Z"
CRM = "crm_id,first_name,last_name\nC1,Anna,Smith\nC2,Ana,Smith\nC3,Bob,Jones\nC4,Rob,Jones\n"


def queue(store: GraphStore, tmp_path: Path) -> IdentityService:
    """Four CRM records, two pairs waiting for a steward."""
    service = IdentityService(store, Settings())
    path = tmp_path / "crm.csv"
    path.write_text(CRM, encoding="utf-8")
    mapping = RecordMapping.infer(csv_header(path), "crm", service.normalizer.types)
    service.ingest_stream(read_items(path), service.record_parser(mapping))
    rows = [
        ReviewRow("crm_id:C1", "crm_id:C2", 0.93, "{}", "f", "pending", AT),  # type: ignore[arg-type]
        ReviewRow("crm_id:C3", "crm_id:C4", 0.91, "{}", "f", "pending", AT),  # type: ignore[arg-type]
    ]
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(reviews=rows, at=AT))
    return service


@pytest.fixture
def desk(store: GraphStore, tmp_path: Path) -> Iterator[tuple[TestClient, IdentityService]]:
    service = queue(store, tmp_path)
    api = create_app(service_factory=lambda: service)
    with TestClient(api, headers=bearer(issue_key(store, "steward", "stewie"))) as client:
        yield client, service


def test_audit_by_person_identifier_action_and_time(
    desk: tuple[TestClient, IdentityService],
) -> None:
    client, service = desk
    c2_before = person_of(service, "crm_id:C2")
    approve = client.post(
        f"/v1/review/{pair_id('crm_id:C1', 'crm_id:C2')}/decision",
        json={"decision": "approve", "comment": "typo"},
    )
    assert approve.status_code == 200, approve.text
    reject = client.post(
        f"/v1/review/{pair_id('crm_id:C3', 'crm_id:C4')}/decision", json={"decision": "reject"}
    )
    assert reject.status_code == 200, reject.text
    trail = client.get("/v1/audit").json()
    assert trail[-1]["subject"] == "api_key:stewie"  # the key's creation came first
    trail = trail[:-1]
    assert [e["subject"] for e in trail] == ["crm_id:C3 <-> crm_id:C4", "crm_id:C1 <-> crm_id:C2"]
    assert [e["action"] for e in trail] == ["review.reject", "review.approve"]
    approved = trail[1]
    assert approved["identifiers"] == ["crm_id:C1", "crm_id:C2"]
    merged = person_of(service, "crm_id:C1")
    assert merged in approved["persons"] and c2_before in approved["persons"]

    def subjects(**params: str) -> list[str]:
        r = client.get("/v1/audit", params=params)
        assert r.status_code == 200, r.text
        return [e["subject"] for e in r.json()]

    assert subjects(person=merged) == ["crm_id:C1 <-> crm_id:C2"]
    # The old ID of a merged person finds its rows too.
    old = c2_before if c2_before != merged else person_of(service, "crm_id:C1")
    assert subjects(person=old) == ["crm_id:C1 <-> crm_id:C2"]
    assert subjects(identifier="crm_id:C4") == ["crm_id:C3 <-> crm_id:C4"]
    assert subjects(identifier="crm_id:C4", action="review.approve") == []
    assert subjects(action="review.approve") == ["crm_id:C1 <-> crm_id:C2"]
    assert subjects(since=trail[0]["at"].replace("Z", "+00:00")) == ["crm_id:C3 <-> crm_id:C4"]
    until = trail[0]["at"].replace("Z", "+00:00")
    assert subjects(until=until) == ["crm_id:C1 <-> crm_id:C2", "api_key:stewie"]
    assert subjects(since="2000-01-01", until="2000-01-02") == []
    assert subjects(limit="1") == ["crm_id:C3 <-> crm_id:C4"]
    assert subjects(person="never-given") == []
    assert subjects(identifier="crm_id:nobody") == []


def test_bad_audit_queries_are_422_naming_the_parameter(
    desk: tuple[TestClient, IdentityService],
) -> None:
    client, _ = desk
    for params, field in (
        ({"since": "last tuesday"}, "since"),
        ({"until": "2025-13-01"}, "until"),
        ({"limit": "0"}, "limit"),
        ({"person": "p" * 300}, "person"),
        ({"action": "a" * 100}, "action"),
    ):
        r = client.get("/v1/audit", params=params)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    r = client.get("/v1/audit", params={"identifier": "no-type"})
    assert r.status_code == 422 and "type:value" in r.json()["detail"]
    r = client.get("/v1/audit", params={"identifier": "email:Someone.Private@"})
    assert r.status_code == 422 and "someone.private" not in r.text.lower()


def test_cli_audit_filters_and_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    store = SQLiteStore(url)
    service = queue(store, tmp_path)
    service.decide(pair_id("crm_id:C1", "crm_id:C2"), "approve", "cli:eva", "typo")
    service.decide(pair_id("crm_id:C3", "crm_id:C4"), "reject", "cli:max", None)
    merged = person_of(service, "crm_id:C1")
    store.close()
    runner = CliRunner()

    def run(*args: str) -> list[dict[str, object]]:
        result = runner.invoke(app, ["audit", "--store", url, "--json", *args])
        assert result.exit_code == 0, result.output
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows

    assert [r["actor"] for r in run()] == ["cli:max", "cli:eva"]
    assert [r["subject"] for r in run("--person", merged)] == ["crm_id:C1 <-> crm_id:C2"]
    assert [r["actor"] for r in run("--identifier", "crm_id:C3")] == ["cli:max"]
    assert [r["actor"] for r in run("--action", "review.approve")] == ["cli:eva"]
    assert run("--until", "2000-01-01") == []
    assert len(run("--since", "2000-01-01T00:00:00+00:00")) == 2
    table = runner.invoke(app, ["audit", "--store", url])
    assert table.exit_code == 0 and "cli:max" in table.stdout and "typo" in table.stdout
    bad = runner.invoke(app, ["audit", "--store", url, "--identifier", "nonsense"])
    assert bad.exit_code != 0 and "type:value" in bad.output
