"""Hostile values at every route: each one a clear 4xx naming the field, never a 5xx.

Found by hand beside schemathesis (which cannot guess inside a free-form segment
definition): each case here was a 500 before it was bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key, login


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = tmp_path_factory.mktemp("hostile") / "graph.db"
    store = SQLiteStore(f"sqlite:///{path}")
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    headers = bearer(issue_key(store, "admin", "hostile"))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        assert c.post("/v1/batch", json={"batch": [login("u1", "c1")]}).status_code == 200
        assert c.put("/v1/segments/all", json={"has_identifier": {"type": "cookie"}}).is_success
        yield c


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        # timedelta(days=10**18) overflowed when the segment was counted: a 500 on every use.
        ({"viewed": {"product": "p", "within_days": 10**18}}, "definition.viewed.within_days"),
        ({"exposed": {"campaign": "c", "at_least": 10**30}}, "definition.exposed.at_least"),
        ({"devices": {"at_least": 10**30}}, "definition.devices.at_least"),
        ({"trait": {"name": "purchase_count", "gt": 10**30}}, "definition.trait.gt"),
        ({"trait": {"name": "purchase_amount", "gt": 1e308}}, "definition.trait.gt"),
        # No UTC time exists for it (an OverflowError).
        (
            {"trait": {"name": "last_seen_at", "gt": "0001-01-01T00:00:00+01:00"}},
            "definition.trait.gt",
        ),
        # A lone surrogate cannot be stored (UTF-8): once a 500 at the store.
        ({"attribute": {"name": "given_name", "eq": "\ud800"}}, "definition.attribute.eq"),
        ({"bought": {"product": "p" * 300}}, "definition.bought.product"),
        ({"attribute": {"name": "x" * 300, "eq": "y"}}, "definition.attribute.name"),
    ],
)
def test_bad_segment_values_are_422_naming_the_path(
    client: TestClient, definition: dict[str, object], field: str
) -> None:
    r = client.put(
        "/v1/segments/hostile",
        content=json.dumps(definition),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/segments/all/count?as_of=9999-12-31T23:59:59Z", None),
        ("/v1/segments/all/members?as_of=0001-01-01T00:00:00Z", None),
        ("/v1/segments/exposed:c:99999999999999999999999/count", "definition.exposed.at_least"),
        ("/v1/segments/bought:" + "p" * 300 + "/count", "name"),
        ("/v1/destinations/ads/deltas/99999999999999999999/add?lease=x", "generation"),
        ("/v1/persons/" + "p" * 300, "person_id"),
        ("/v1/identifiers/customer_id/" + "u" * 2000 + "/person", "value"),
        ("/v1/explain?a=email:" + "a" * 2000 + "&b=email:b@example.com", "a"),
        ("/v1/segments/all/members?cursor=" + "A" * 300, "cursor"),
        ("/v1/segments/all/export?platform=" + "g" * 40, "platform"),
        ("/v1/segments/all/export?platform=google" + "&exclude=x" * 101, "exclude"),
        ("/v1/audit?subject=" + "s" * 4000, "subject"),
        # Found by schemathesis: an OverflowError binding it in SQLite.
        ("/v1/review?offset=9223372036854775808", "offset"),
    ],
)
def test_bad_path_and_query_values_are_422(client: TestClient, url: str, field: str | None) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ([field] if field else [])
    if field is None:
        assert r.json()["detail"].startswith("as_of:")


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("put", "/v1/destinations/ads", {"platform": "g" * 40, "segment": "all"}, "platform"),
        ("put", "/v1/destinations/ads", {"platform": "google", "segment": "s" * 400}, "segment"),
        ("put", "/v1/destinations/" + "d" * 65, {"platform": "google", "segment": "all"}, "name"),
        ("post", "/v1/destinations/ads/deltas/1/commit", {"lease": "l" * 300}, "lease"),
    ],
)
def test_bad_body_values_are_422(
    client: TestClient, method: str, url: str, body: dict[str, object], field: str
) -> None:
    r = client.request(method.upper(), url, json=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


def test_bodies_nested_past_any_parser_are_400(client: TestClient) -> None:
    deep = '{"batch": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    r = client.post("/v1/batch", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 400
    segment = '{"not": ' * 5000 + "{}" + "}" * 5000
    r = client.put(
        "/v1/segments/deep", content=segment, headers={"content-type": "application/json"}
    )
    assert r.status_code in (400, 422)


def test_a_huge_or_deep_event_is_a_400_naming_the_field(client: TestClient) -> None:
    props = {str(i): i for i in range(100_000)}
    ev = {"type": "track", "userId": "u", "event": "X", "messageId": "m", "properties": props}
    r = client.post("/v1/batch", json={"batch": [ev]})
    assert r.status_code == 400
    assert [(e["position"], e["field"]) for e in r.json()["errors"]] == [(0, "properties")]
    ev = {"type": "identify", "userId": "u", "messageId": "m", "timestamp": "9999-12-31T00:00:00Z"}
    r = client.post("/v1/batch", json={"batch": [ev]})
    assert [(e["position"], e["field"]) for e in r.json()["errors"]] == [(0, "timestamp")]
