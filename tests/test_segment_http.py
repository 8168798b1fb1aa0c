"""Segment's HTTP tracking API as its clients speak it: the single-event routes, gzip
bodies, the body and batch limits (413) and Segment's error shape on every error status."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from identity_graph.api import create_app
from identity_graph.api.bodies import BodyLimit
from identity_graph.config import Settings
from identity_graph.errors import StoreError
from identity_graph.service.identity import IdentityService
from identity_graph.stores import open_store
from identity_graph.stores.contract import GraphStore
from tests.helpers import bearer, event, issue_key, login

JSON = {"content-type": "application/json"}
GZIP_JSON = {**JSON, "content-encoding": "gzip"}
LIMIT = 64 * 1024


@dataclass
class Api:
    """The app as its callers meet it: events sent with an ingest key as the HTTP Basic
    user (the SDKs' write key), reads with a reader's Bearer key."""

    client: TestClient
    write: dict[str, str]
    read: dict[str, str]

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.write, **kwargs)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.read)


@pytest.fixture
def api(store: GraphStore) -> Iterator[Api]:
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    with TestClient(app) as c:
        yield Api(c, basic(issue_key(store, "ingest")), bearer(issue_key(store, "reader")))


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    """A SQLite-backed app whose body limit is LIMIT bytes; `client.headers` is an admin's."""
    store = open_store(f"sqlite:///{tmp_path / 'small.db'}")
    app = create_app(
        service_factory=lambda: IdentityService(store, Settings()), max_body_bytes=LIMIT
    )
    headers = bearer(issue_key(store, "admin"))
    with TestClient(app, raise_server_exceptions=False, headers=headers) as c:
        yield c


def basic(key: str) -> dict[str, str]:
    """A write key as Segment's and RudderStack's SDKs send it: the HTTP Basic user."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def assert_error_shape(r: Any, status: int, code: str) -> dict[str, Any]:
    """What both SDKs read (`code`, `message`) beside what our clients read (`detail`,
    `errors`)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


# One event per route, each adding an identifier of customer u1's.
SINGLE_EVENTS: dict[str, dict[str, Any]] = {
    "identify": {"userId": "u1", "anonymousId": "c1", "traits": {"email": "Anna@Example.com"}},
    "track": {
        "userId": "u1",
        "event": "Order Completed",
        "properties": {"products": [{"product_id": "sku-1", "price": 20}]},
    },
    "page": {"userId": "u1", "anonymousId": "c2", "name": "Home"},
    "screen": {"userId": "u1", "name": "Cart", "context": {"device": {"id": "dev-1"}}},
    "group": {"userId": "u1", "anonymousId": "c3", "groupId": "g1"},
    "alias": {"userId": "u1", "previousId": "c4"},
}


def test_each_single_event_route_ingests_its_event(api: Api) -> None:
    for type_, fields in SINGLE_EVENTS.items():
        body = {"messageId": f"m-{type_}", "timestamp": "2025-03-01T10:00:00Z", **fields}
        r = api.post(f"/v1/{type_}", json=body)
        assert r.status_code == 200, (type_, r.text)
        assert r.json()["items"] == 1 and r.json()["replayed"] == 0
    person = api.get("/v1/identifiers/customer_id/u1/person").json()
    assert {i["key"] for i in person["identifiers"]} == {
        "customer_id:u1",
        "email:anna@example.com",
        "cookie:c1",
        "cookie:c2",
        "cookie:c3",
        "cookie:c4",
        "device_id:DEV-1",
    }
    assert person["activity"]["purchases"] == 1


def test_single_event_is_replay_safe_like_a_batch(api: Api) -> None:
    ev = {"messageId": "m-1", "userId": "u1", "anonymousId": "c1"}
    assert api.post("/v1/identify", json=ev).json()["replayed"] == 0
    assert api.post("/v1/identify", json=ev).json()["replayed"] == 1
    # The same messageId in a batch is the same event.
    again = api.post("/v1/batch", json={"batch": [{"type": "identify", **ev}]})
    assert again.json()["replayed"] == 1
    assert api.get("/v1/stats").json()["links"] == 1


def test_a_body_type_may_repeat_the_route_but_not_contradict_it(api: Api) -> None:
    same = api.post("/v1/track", json={"type": "track", "userId": "u1", "event": "Signed Up"})
    assert same.status_code == 200, same.text
    r = api.post("/v1/identify", json={"type": "track", "userId": "u2", "event": "x"})
    body = assert_error_shape(r, 400, "invalid_request")
    assert [(e["position"], e["field"]) for e in body["errors"]] == [(0, "type")]
    assert "/v1/identify" in body["message"]
    assert api.get("/v1/identifiers/customer_id/u2/person").status_code == 404


def test_a_bad_single_event_gets_the_batch_400_and_writes_nothing(api: Api) -> None:
    r = api.post("/v1/identify", json={"userId": "u1", "traits": {"email": "x@"}})
    body = assert_error_shape(r, 400, "invalid_request")
    assert "nothing was written" in body["detail"]
    assert [(e["position"], e["field"]) for e in body["errors"]] == [(0, "traits.email")]
    # The SDKs show `message` only: it names the field.
    assert "traits.email" in body["message"]
    r = api.post("/v1/track", json={"userId": "u1"})
    assert assert_error_shape(r, 400, "invalid_request")["errors"][0]["field"] == "event"
    r = api.post("/v1/alias", json={"userId": "u1"})
    assert assert_error_shape(r, 400, "invalid_request")["errors"][0]["field"] == "previousId"
    assert api.get("/v1/stats").json()["identifiers"] == 0
    r = api.post("/v1/page", json=["not", "an", "object"])
    assert assert_error_shape(r, 422, "invalid_request")["errors"][0]["field"] == "body"


# -- gzip ------------------------------------------------------------------------------


def test_gzip_bodies_are_decoded(small: TestClient) -> None:
    batch = {"batch": [event("identify", userId="u1", anonymousId="c1")]}
    r = small.post("/v1/batch", content=gzip.compress(_json(batch)), headers=GZIP_JSON)
    assert r.status_code == 200, r.text
    assert r.json()["identifiers_new"] == 2
    one = _json(event("identify", userId="u2"))
    r = small.post("/v1/identify", content=gzip.compress(one), headers=GZIP_JSON)
    assert r.status_code == 200, r.text
    assert small.get("/v1/identifiers/customer_id/u2/person").status_code == 200


def test_corrupt_or_truncated_gzip_is_a_400(small: TestClient) -> None:
    whole = gzip.compress(_json({"batch": [event("identify", userId="u1")]}))
    for bad in (b"not gzip at all", whole[:-6], whole[:10] + b"\x00" * 8 + whole[18:]):
        r = small.post("/v1/batch", content=bad, headers=GZIP_JSON)
        body = assert_error_shape(r, 400, "invalid_request")
        assert body["errors"][0]["field"] == "body"
    assert small.get("/v1/stats").json()["identifiers"] == 0


def test_a_gzip_bomb_is_refused_without_inflating_it(small: TestClient) -> None:
    """200 MB of zeros, 200 KB compressed: refused as over the limit once LIMIT bytes came
    out, with memory far below what inflating it would take."""
    bomb = _zeros_gzip(200 * 1024 * 1024)
    assert len(bomb) < LIMIT * 4
    headers = {**GZIP_JSON}
    small_bomb = bomb[: LIMIT - 1]  # under the limit as received, not when inflated
    tracemalloc.start()
    try:
        r = small.post("/v1/batch", content=small_bomb, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = assert_error_shape(r, 413, "payload_too_large")
    assert body["errors"][0]["field"] == "body"
    assert f"{LIMIT} bytes" in body["message"] and "decompressed" in body["message"]
    assert peak < 20 * LIMIT
    # Compressed bytes count too: the whole bomb is over the limit as it arrives.
    r = small.post("/v1/batch", content=bomb, headers=headers)
    assert_error_shape(r, 413, "payload_too_large")


def test_other_content_encodings_are_a_415(small: TestClient) -> None:
    body = _json({"batch": []})
    for encoding in ("deflate", "br", "gzip, gzip"):
        r = small.post("/v1/batch", content=body, headers={**JSON, "content-encoding": encoding})
        problem = assert_error_shape(r, 415, "unsupported_encoding")["errors"][0]
        assert problem["field"] == "Content-Encoding"
    r = small.post("/v1/batch", content=body, headers={**JSON, "content-encoding": "identity"})
    assert r.status_code == 200, r.text


# -- limits ----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_naming_the_limit(small: TestClient) -> None:
    padding = "x" * LIMIT
    big = _json({"batch": [event("identify", userId="u1", properties={"pad": padding})]})
    r = small.post("/v1/batch", content=big, headers=JSON)
    body = assert_error_shape(r, 413, "payload_too_large")
    assert body["errors"] == [
        {
            "position": None,
            "field": "body",
            "reason": f"larger than the limit of {LIMIT} bytes (max_body_bytes)",
        }
    ]
    # Without a Content-Length (chunked), counted as it arrives.
    r = small.post("/v1/batch", content=iter([big[:40_000], big[40_000:]]), headers=JSON)
    assert "content-length" not in r.request.headers
    assert_error_shape(r, 413, "payload_too_large")
    assert small.get("/v1/stats").json()["identifiers"] == 0


def test_the_limit_stops_reading_a_body_that_never_ends() -> None:
    """A client streaming without end is cut off at the limit: the middleware stops asking
    for chunks and answers 413, rather than buffering the stream first."""
    reached_app = False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached_app
        reached_app = True

    chunks_read = 0

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/batch", "headers": []}
    asyncio.run(BodyLimit(app, max_bytes=LIMIT)(scope, receive, send))
    assert not reached_app
    assert chunks_read == LIMIT // 1024 + 1
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> dict[str, Any]:
        raise AssertionError("nothing may be read")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-length", str(200 * 1024 * 1024).encode())]
    scope = {"type": "http", "method": "POST", "path": "/v1/batch", "headers": headers}
    asyncio.run(BodyLimit(app, max_bytes=LIMIT)(scope, receive, send))
    assert sent[0]["status"] == 413


def test_too_many_batch_items_is_a_413_naming_batch(api: Api) -> None:
    items = [{"type": "identify", "userId": f"u{i}"} for i in range(10_001)]
    body = assert_error_shape(
        api.post("/v1/batch", json={"batch": items}), 413, "payload_too_large"
    )
    assert [e["field"] for e in body["errors"]] == ["batch"]
    assert "10000" in body["message"]
    assert api.get("/v1/stats").json()["identifiers"] == 0


def test_the_body_limit_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """IDENTITY_GRAPH_MAX_BODY_BYTES, read where the app is built from the environment."""
    monkeypatch.setenv("IDENTITY_GRAPH_MAX_BODY_BYTES", "100")
    url = f"sqlite:///{tmp_path / 'env.db'}"
    store = open_store(url)
    key = issue_key(store, "ingest")
    store.close()
    with TestClient(create_app(store_url=url), headers=basic(key)) as c:
        batch = {"batch": [event("identify", userId="u1", anonymousId="c1")]}
        r = c.post("/v1/batch", json=batch)
        assert "100 bytes" in assert_error_shape(r, 413, "payload_too_large")["message"]
        assert c.post("/v1/batch", json={"batch": []}).status_code == 200


def test_serve_hands_the_body_limit_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --max-body-bytes` (or IDENTITY_GRAPH_MAX_BODY_BYTES) reaches the app, in one
    process as a value and in the workers' environment."""
    import uvicorn

    import identity_graph.cli.serve as serve_module
    from identity_graph.cli import app as cli

    runs: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: runs.append(target))
    execs: list[dict[str, str]] = []
    monkeypatch.setattr(serve_module, "exec_process", lambda argv, env: execs.append(env))
    url = f"sqlite:///{tmp_path / 'served.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["serve", "--store", url, "--max-body-bytes", "100"]).exit_code == 0
    with TestClient(runs[0]()) as c:
        # Refused before the key is looked at: the limit guards unauthenticated callers too.
        r = c.post("/v1/batch", json={"batch": [login("u1", "c1")]})
        assert "100 bytes" in assert_error_shape(r, 413, "payload_too_large")["message"]
    monkeypatch.setenv("IDENTITY_GRAPH_MAX_BODY_BYTES", "2048")
    assert runner.invoke(cli, ["serve", "--store", url, "--workers", "2"]).exit_code == 0
    assert execs[0]["IDENTITY_GRAPH_MAX_BODY_BYTES"] == "2048"


# -- the error shape on every status ---------------------------------------------------


def test_the_single_event_routes_take_an_ingest_key(api: Api) -> None:
    """As the HTTP Basic user (the SDKs' write key) or as a Bearer token; a wrong write key
    is a 401 and a reader's key a 403, both in the error shape."""
    store = api.client.app.state.service.store  # type: ignore[attr-defined]
    ingest_key = issue_key(store, "ingest")
    for type_, fields in SINGLE_EVENTS.items():
        for headers in (basic(ingest_key), bearer(ingest_key)):
            assert api.client.post(f"/v1/{type_}", json=fields, headers=headers).status_code == 200
        r = api.client.post(f"/v1/{type_}", json=fields, headers=basic("wrong-write-key"))
        assert_error_shape(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert_error_shape(api.client.post(f"/v1/{type_}", json=fields), 401, "unauthorized")
        r = api.client.post(f"/v1/{type_}", json=fields, headers=api.read)
        assert_error_shape(r, 403, "forbidden")


def test_every_error_status_has_segments_error_shape(small: TestClient) -> None:
    assert_error_shape(small.post("/v1/batch", json={"batch": [{}]}), 400, "invalid_request")
    assert_error_shape(small.get("/v1/persons/nope"), 404, "not_found")
    assert_error_shape(small.get("/v1/no-such-route"), 404, "not_found")
    r = small.get("/v1/batch")
    assert assert_error_shape(r, 405, "method_not_allowed") and r.headers["allow"] == "POST"
    conflict = small.put("/v1/segments/existing_customers", json={"bought": {}})
    assert_error_shape(conflict, 409, "conflict")
    assert_error_shape(small.post("/v1/batch", json={"events": []}), 422, "invalid_request")
    bad_json = small.post("/v1/batch", content=b"{not json", headers=JSON)
    assert_error_shape(bad_json, 422, "invalid_request")


def test_server_errors_have_the_shape_and_hide_their_text(small: TestClient) -> None:
    service: IdentityService = small.app.state.service  # type: ignore[attr-defined]

    def store_down() -> None:
        raise StoreError("store gone", query="MATCH (i {value: 'anna@example.com'})")

    def bug() -> None:
        raise RuntimeError("bug near anna@example.com")

    for raise_, status, code in ((store_down, 503, "unavailable"), (bug, 500, "internal_error")):
        setattr(service, "stats", raise_)  # noqa: B010
        r = small.get("/v1/stats")
        assert_error_shape(r, status, code)
        assert "anna" not in r.text


def test_openapi_documents_the_error_shape(small: TestClient) -> None:
    spec = small.get("/openapi.json").json()
    assert {"code", "message", "detail", "errors"} <= set(
        spec["components"]["schemas"]["ErrorOut"]["required"]
    )
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for type_ in ("batch", *SINGLE_EVENTS):
        responses = spec["paths"][f"/v1/{type_}"]["post"]["responses"]
        assert {"400", "413", "422"} <= set(responses), type_


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _zeros_gzip(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    out = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join([*out, packer.flush()])
