"""The lifecycle routes on every store: what a steward's client sends and gets back, the
audit actor taken from the caller's key, and 4xx (never 5xx) naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests.helpers import bearer, event, issue_key, login, person_of, reads


@pytest.fixture
def service(store: GraphStore) -> IdentityService:
    return IdentityService(store, Settings())


@pytest.fixture
def client(service: IdentityService) -> Iterator[TestClient]:
    """A steward's client (the audit actor is its key's name)."""
    app = create_app(service_factory=lambda: service)
    with TestClient(app, headers=bearer(issue_key(service.store, "steward", "eva"))) as c:
        yield c


def ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


def test_batches_removal_and_the_audit_actor(client: TestClient, service: IdentityService) -> None:
    ingest = bearer(issue_key(service.store, "ingest"))
    first = ok(client.post("/v1/batch", json={"batch": [login("u1", "c1")]}, headers=ingest))
    bad = ok(
        client.post(
            "/v1/batch",
            json={"batch": [event("page", anonymousId="c2", userId="u1")]},
            headers=ingest,
        )
    )
    single = ok(client.post("/v1/page", json=event("page", anonymousId="c3"), headers=ingest))
    assert len({first["batch_id"], bad["batch_id"], single["batch_id"]}) == 3
    listed = ok(client.get("/v1/batches", params={"source": "segment:page"}))
    assert {b["batch_id"] for b in listed} == {bad["batch_id"], single["batch_id"]}
    assert ok(client.get("/v1/batches", params={"limit": 1}))[0]["batch_id"] == single["batch_id"]
    pid = person_of(service, "customer_id:u1")
    body = ok(
        client.post(
            "/v1/evidence/remove", json={"batch": bad["batch_id"], "reason": "a stranger's login"}
        )
    )
    assert body["removed"]["links_deleted"] == 1
    assert body["persons"]["kept"] == [pid]
    assert body["persons"]["created"] == [] and body["persons"]["deleted"] != []
    (row,) = [a for a in reads(service.store).audit() if a.action == "evidence.remove_batch"]
    assert (row.actor, row.subject) == ("eva", f"batch:{bad['batch_id']}")
    body = ok(
        client.post(
            "/v1/evidence/remove",
            json={"link": ["customer_id:u1", "cookie:c1"], "reason": "x"},
        )
    )
    assert body["persons"]["created"][0]["split_from"] == pid


BAD_REMOVALS: list[tuple[dict[str, Any], int, str]] = [
    ({"reason": "x"}, 422, "body"),
    ({"identifier": "cookie:c1", "source": "crm", "reason": "x"}, 422, "body"),
    ({"identifier": "cookie:c1"}, 422, "reason"),
    ({"identifier": "cookie:c1", "reason": "  "}, 422, "reason"),
    ({"identifier": "cookie:c1", "reason": "x" * 5000}, 422, "reason"),
    ({"identifier": "no-colon", "reason": "x"}, 422, "identifier"),
    ({"link": ["cookie:c1"], "reason": "x"}, 422, "link"),
    ({"identifier": "cookie:nobody", "reason": "x"}, 404, "identifier"),
    ({"link": ["cookie:c1", "cookie:c9"], "reason": "x"}, 404, "link"),
    ({"batch": "b_none", "reason": "x"}, 404, "batch"),
    ({"source": "nowhere", "reason": "x"}, 404, "source"),
    ({"identifier": "cookie:c1", "reason": "x", "by": "mallory"}, 422, "by"),
]


def test_bad_removals_are_4xx_naming_the_field(
    client: TestClient, service: IdentityService
) -> None:
    service.ingest_events([login("u1", "c1")])
    for body, status, field in BAD_REMOVALS:
        r = client.post("/v1/evidence/remove", json=body)
        assert r.status_code == status, (body, r.text)
        answer = r.json()
        named = [e["field"] for e in answer["errors"]] or [answer["detail"].split(":")[0]]
        assert any(
            n == field or n.startswith(f"{field}.") or n.startswith(f"{field}[") for n in named
        ), (body, named)
        assert "nobody" not in r.text and "c9" not in r.text  # values never echoed
    assert [a.action for a in reads(service.store).audit()] == ["key.create"]  # nothing done


def test_merge_and_split_through_the_api(client: TestClient, service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), login("u2", "c2")])
    p1, p2 = person_of(service, "customer_id:u1"), person_of(service, "customer_id:u2")
    merged = ok(client.post("/v1/persons/merge", json={"persons": [p1, p2], "reason": "same"}))
    survivor = merged["person_id"]
    assert (
        merged["lineage"][0]["kind"] == "MERGED_INTO" and merged["lineage"][0]["reason"] == "same"
    )
    gone = merged["merged"][0]
    assert ok(client.get(f"/v1/persons/{gone}"))["person_id"] == survivor
    assert (
        client.post("/v1/persons/merge", json={"persons": [p1, p2], "reason": "x"}).status_code
        == 409
    )
    r = client.post("/v1/persons/merge", json={"persons": [p1, "nobody"], "reason": "x"})
    assert r.status_code == 404 and r.json()["detail"].startswith("persons[1]")
    split = ok(
        client.post(
            f"/v1/persons/{gone}/split",  # an old ID resolves to the current person
            json={
                "groups": [["customer_id:u1", "cookie:c1"], ["customer_id:u2", "cookie:c2"]],
                "reason": "two people after all",
            },
        )
    )
    assert split["person_id"] == survivor and split["cannot_links"] == 1
    assert len({g["persons"][0] for g in split["groups"]}) == 2
    r = client.post(
        f"/v1/persons/{survivor}/split",
        json={"groups": [["cookie:c1"], ["email:someone@x.io"]], "reason": "x"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "groups[1][0]" and "someone" not in r.text
    apart = [g["persons"][0] for g in split["groups"]]
    r = client.post("/v1/persons/merge", json={"persons": apart, "reason": "x"})
    assert r.status_code == 409 and "cannot-link" in r.json()["detail"]
    (row,) = [a for a in reads(service.store).audit() if a.action == "person.split"]
    assert row.actor == "eva"


def test_hubs_list_confirm_release(client: TestClient, service: IdentityService) -> None:
    customers = [f"u{i}" for i in range(6)]
    service.ingest_events([login(u, f"own-{u}", email=f"{u}@mail.example") for u in customers])
    service.ingest_events([login(u, "agent-desk-7") for u in customers])
    (hub,) = ok(client.get("/v1/hubs"))
    assert hub["key"] == "cookie:agent-desk-7" and hub["status"] == "flagged"
    assert hub["reason"].startswith(f"its links join {len(hub['persons'])} persons")
    body = ok(client.post("/v1/hubs/confirm", json={"key": hub["key"], "reason": "call centre"}))
    assert body["status"] == "confirmed"
    assert ok(client.get("/v1/hubs"))[0]["status"] == "confirmed"
    body = ok(client.post("/v1/hubs/release", json={"key": hub["key"], "reason": "one agent"}))
    # Each customer has a customer_id: the type limit refuses gluing them through it.
    assert body["status"] == "released" and body["merges"] <= 1
    assert ok(client.get("/v1/hubs")) == []
    r = client.post("/v1/hubs/confirm", json={"key": "cookie:nobody", "reason": "x"})
    assert r.status_code == 404 and r.json()["detail"].startswith("key")
    r = client.post("/v1/hubs/release", json={"key": "cookie:own-u1", "reason": "x"})
    assert r.status_code == 409
