from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, event, issue_key, login


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    """A client with an admin key: every route is open to it (roles: test_auth_matrix.py)."""
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    with TestClient(app, headers=bearer(issue_key(store, "admin", "test-admin"))) as c:
        yield c


def test_batch_then_profile_by_identifier_and_by_id(client: TestClient) -> None:
    r = client.post(
        "/v1/batch",
        json={
            "batch": [
                login("u1", "c1", email="Anna@Example.com"),
                event(
                    "track",
                    userId="u1",
                    event="Order Completed",
                    properties={"products": [{"product_id": "sku-1", "price": 20}]},
                ),
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"] == 2 and r.json()["persons_created"] == 1
    by_ident = client.get("/v1/identifiers/email/ANNA@example.com/person")
    assert by_ident.status_code == 200
    body = by_ident.json()
    assert {i["key"] for i in body["identifiers"]} == {
        "customer_id:u1",
        "cookie:c1",
        "email:anna@example.com",
    }
    assert all(i["first_seen"] and i["last_seen"] for i in body["identifiers"])
    assert body["activity"]["purchases"] == 1 and body["activity"]["purchase_amount"] == 20.0
    by_id = client.get(f"/v1/persons/{body['person_id']}")
    assert by_id.status_code == 200 and by_id.json()["identifiers"] == body["identifiers"]


def test_bad_items_get_400_listing_each_and_nothing_is_written(client: TestClient) -> None:
    r = client.post(
        "/v1/batch",
        json={
            "batch": [
                login("u1", "c1"),
                {"type": "identify", "userId": "u2", "traits": {"email": "x@"}},
                {"type": "nope"},
            ]
        },
    )
    assert r.status_code == 400
    body = r.json()
    assert "nothing was written" in body["detail"]
    assert [(e["position"], e["field"]) for e in body["errors"]] == [
        (1, "traits.email"),
        (2, "type"),
    ]
    assert client.get("/v1/stats").json()["identifiers"] == 0


def test_hostile_values_get_400_naming_the_field_never_5xx(client: TestClient) -> None:
    """Raw JSON as a hostile client sends it: a lone surrogate escape (once a 500), NaN and
    1e308 prices (once a 503 that SDKs retry forever), a control character."""
    body = (
        '{"batch": ['
        '{"type": "identify", "userId": "\\ud800x", "messageId": "m1"},'
        '{"type": "identify", "userId": "u1", "messageId": "\\ud800x"},'
        '{"type": "track", "event": "Order Completed", "userId": "u2", "messageId": "m3",'
        ' "properties": {"products": [{"product_id": "p", "price": NaN}]}},'
        '{"type": "track", "event": "Order Completed", "userId": "u3", "messageId": "m4",'
        ' "properties": {"products": [{"product_id": "p", "price": 1e308}]}},'
        '{"type": "identify", "userId": "u\\u0007x", "messageId": "m5"}'
        "]}"
    )
    r = client.post("/v1/batch", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert [(e["position"], e["field"]) for e in r.json()["errors"]] == [
        (0, "userId"),
        (1, "messageId"),
        (2, "properties.products[0].price"),
        (3, "properties.products[0].price"),
        (4, "userId"),
    ]
    assert "\\ud800" not in r.text and "u\\u0007x" not in r.text
    assert client.get("/v1/stats").json()["identifiers"] == 0


def test_malformed_body_gets_422_naming_the_field(client: TestClient) -> None:
    r = client.post("/v1/batch", json={"events": []})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "batch"
    r = client.post("/v1/batch", json={"batch": ["not an object"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["position"] == 0
    r = client.post("/v1/batch", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_replayed_batch_is_harmless(client: TestClient) -> None:
    batch = {"batch": [login("u1", "c1")]}
    assert client.post("/v1/batch", json=batch).json()["replayed"] == 0
    assert client.post("/v1/batch", json=batch).json()["replayed"] == 1
    assert client.get("/v1/stats").json()["links"] == 1


def test_unknown_person_and_identifier_are_404(client: TestClient) -> None:
    r = client.get("/v1/persons/does-not-exist")
    assert r.status_code == 404 and "no person" in r.json()["detail"]
    r = client.get("/v1/identifiers/cookie/nope/person")
    assert r.status_code == 404 and "no identifier" in r.json()["detail"]


def test_lookup_errors_never_echo_the_value(client: TestClient) -> None:
    """Identifier values are personal data: error details name the type, never the value."""
    r = client.get("/v1/identifiers/email/Someone.Private@Example.com/person")
    assert r.status_code == 404
    assert "someone.private" not in r.text.lower()
    r = client.get("/v1/explain", params={"a": "email:hidden.one@example.com", "b": "cookie:x"})
    assert r.status_code == 404 and "hidden.one" not in r.text


def test_invalid_identifier_in_lookup_is_422(client: TestClient) -> None:
    r = client.get("/v1/identifiers/phone/12/person")
    assert r.status_code == 422 and "phone" in r.json()["detail"]
    r = client.get("/v1/identifiers/shoe/42/person")
    assert r.status_code == 422 and "unknown identifier type" in r.json()["detail"]


def test_merged_person_id_redirects(client: TestClient) -> None:
    client.post(
        "/v1/batch",
        json={"batch": [login("u1", "c1"), event("page", anonymousId="c1", email="a@b.io")]},
    )
    client.post("/v1/batch", json={"batch": [event("page", anonymousId="c9")]})
    old = client.get("/v1/identifiers/cookie/c9/person").json()["person_id"]
    client.post("/v1/batch", json={"batch": [event("page", anonymousId="c9", userId="u1")]})
    r = client.get(f"/v1/persons/{old}")
    assert r.status_code == 200
    assert r.json()["redirected_from"] == old and r.json()["person_id"] != old


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/batch", "/v1/persons/{person_id}", "/v1/identifiers/{type}/{value}/person"} <= set(
        spec["paths"]
    )
    assert client.get("/docs").status_code == 200


def test_app_reads_store_url_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    store = SQLiteStore(url)
    key = issue_key(store, "ingest")
    store.close()
    monkeypatch.setenv("IDENTITY_GRAPH_STORE", url)
    with TestClient(create_app(), headers=bearer(key)) as c:
        assert c.post("/v1/batch", json={"batch": [login("u1", "c1")]}).status_code == 200
    assert (tmp_path / "env.db").exists()


def _two_records_in_review(store: GraphStore, tmp_path: Path) -> str:
    import json as _json

    from identity_graph.ingest.readers import csv_header, read_items
    from identity_graph.ingest.records import RecordMapping
    from identity_graph.review.decisions import pair_id
    from identity_graph.stores.rows import ChangeSet, ReviewRow

    service = IdentityService(store, Settings())
    path = tmp_path / "crm.csv"
    path.write_text("crm_id,first_name,last_name\nC1,Anna,Smith\nC2,Ana,Smith\n", encoding="utf-8")
    m = RecordMapping.infer(csv_header(path), "crm", service.normalizer.types)
    service.ingest_stream(read_items(path), service.record_parser(m))
    at = "2025-03-01T00:00:00.000000Z"
    evidence = _json.dumps(
        {
            "prior_weight": -8.0,
            "contributions": {"surname": 9.5},
            "levels": {"surname": "exact"},
            "values": {"a": {"given_name": "anna"}, "b": {"given_name": "ana"}},
            "model_version": "t",
        }
    )
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                reviews=[ReviewRow("crm_id:C1", "crm_id:C2", 0.93, evidence, "f", "pending", at)],
                at=at,
            )
        )
    return pair_id("crm_id:C1", "crm_id:C2")


def test_review_queue_flow(client: TestClient, store: GraphStore, tmp_path: Path) -> None:
    pid = _two_records_in_review(store, tmp_path)
    client.headers.update(bearer(issue_key(store, "steward", "stewie")))
    page = client.get("/v1/review").json()
    assert page["total"] == 1 and page["next_offset"] is None
    item = page["items"][0]
    assert item["pair_id"] == pid and item["probability"] == 0.93
    assert item["values"]["a"]["given_name"] == "anna"
    assert [s["step"] for s in item["waterfall"]] == ["prior", "surname = exact"]
    assert client.get(f"/v1/review/{pid}").json()["a"] == "crm_id:C1"
    assert client.get("/v1/review?min_probability=0.95").json()["items"] == []

    r = client.post(
        f"/v1/review/{pid}/decision",
        json={"decision": "approve", "comment": "typo"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["item"]["status"] == "approved" and r.json()["merges"] == 1
    again = client.post(f"/v1/review/{pid}/decision", json={"decision": "reject"})
    assert again.status_code == 409
    audit = client.get("/v1/audit").json()
    # The actor is the API key's name, never something the body says.
    assert audit[0]["actor"] == "stewie" and audit[0]["action"] == "review.approve"
    assert audit[0]["detail"]["comment"] == "typo"
    e = client.get("/v1/explain", params={"a": "crm_id:C1", "b": "crm_id:C2"}).json()
    assert e["same_person"] and e["path"][0]["link"]["kind"] == "steward"


def test_review_errors(client: TestClient, store: GraphStore, tmp_path: Path) -> None:
    pid = _two_records_in_review(store, tmp_path)
    assert client.get("/v1/review/nope").status_code == 404
    r = client.post(f"/v1/review/{pid}/decision", json={"decision": "maybe"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "decision"
    # Who decides is the key's name: a body that names someone else is refused.
    r = client.post(f"/v1/review/{pid}/decision", json={"decision": "approve", "by": "boss"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "by"
    assert client.get("/v1/review?status=bogus").status_code == 422


def test_explain_errors(client: TestClient) -> None:
    client.post("/v1/batch", json={"batch": [login("u1", "c1")]})
    assert client.get("/v1/explain", params={"a": "cookie:c1", "b": "cookie:zz"}).status_code == 404
    r = client.get("/v1/explain", params={"a": "c1", "b": "cookie:c1"})
    assert r.status_code == 422 and "type:value" in r.json()["detail"]
    ok = client.get("/v1/explain", params={"a": "cookie:c1", "b": "customer_id:u1"}).json()
    assert ok["same_person"] and len(ok["path"]) == 1


@pytest.mark.parametrize("path_value", ["ab/12", "ab%2F12", "x/person"])
def test_identifier_values_with_slashes_are_reachable(client: TestClient, path_value: str) -> None:
    value = path_value.replace("%2F", "/")
    r = client.post("/v1/batch", json={"batch": [login(value, "c-slash")]})
    assert r.status_code == 200, r.text
    got = client.get(f"/v1/identifiers/customer_id/{path_value}/person")
    assert got.status_code == 200, got.text
    assert f"customer_id:{value}" in {i["key"] for i in got.json()["identifiers"]}
    missing = client.get("/v1/identifiers/customer_id/ab/99/person")
    assert missing.status_code == 404 and "no identifier" in missing.json()["detail"]


def test_empty_identifier_value_is_a_clear_4xx(client: TestClient) -> None:
    r = client.get("/v1/identifiers/customer_id//person")
    assert 400 <= r.status_code < 500, r.text


def test_review_page_of_every_status_and_audit_filter(
    client: TestClient, store: GraphStore, tmp_path: Path
) -> None:
    pid = _two_records_in_review(store, tmp_path)
    client.post(f"/v1/review/{pid}/decision", json={"decision": "reject"})
    assert client.get("/v1/review").json()["total"] == 0
    page = client.get("/v1/review", params={"status": "all", "limit": 1}).json()
    assert page["total"] == 1 and page["next_offset"] == 1
    assert page["items"][0]["status"] == "rejected"
    assert page["items"][0]["levels"] == {"surname": "exact"}
    # The subject is the pair as a steward reads it, not the opaque pair ID.
    pair = "crm_id:C1 <-> crm_id:C2"
    assert [e["subject"] for e in client.get("/v1/audit", params={"subject": pair}).json()] == [
        pair
    ]
    assert client.get("/v1/audit", params={"subject": pid}).json() == []
    assert client.get("/v1/audit", params={"subject": "other"}).json() == []
