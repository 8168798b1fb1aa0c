"""Every route × every role: no key → 401, a key of the wrong role or scope → 403.

The routes come from the app itself, so a new route fails here until `security/rules.py`
has a rule for it and `EXPECTED` below says who may call it (written out by hand: the
matrix is checked against what the API does, not against the rules' own table).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.errors import Unauthenticated
from identity_graph.security.keys import ROLES
from identity_graph.security.rules import RULES
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key

PUBLIC = "public"
# Who may call each route besides admin (admin may call every non-public route).
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/docs/redoc"): PUBLIC,
    ("GET", "/guides/identity-graph.html"): PUBLIC,
    ("OPTIONS", "/guides/identity-graph.html"): PUBLIC,
    ("GET", "/guides/style.grass"): PUBLIC,
    ("OPTIONS", "/guides/style.grass"): PUBLIC,
    ("GET", "/guides/saved-queries.zip"): PUBLIC,
    ("POST", "/v1/batch"): "ingest",
    ("POST", "/v1/identify"): "ingest",
    ("POST", "/v1/track"): "ingest",
    ("POST", "/v1/page"): "ingest",
    ("POST", "/v1/screen"): "ingest",
    ("POST", "/v1/group"): "ingest",
    ("POST", "/v1/alias"): "ingest",
    ("GET", "/v1/persons/{person_id}"): "reader steward",
    ("GET", "/v1/identifiers/{type}/{value:path}/person"): "reader steward",
    ("GET", "/v1/explain"): "reader steward",
    ("GET", "/v1/stats"): "reader steward",
    ("GET", "/v1/segments"): "reader steward",
    ("GET", "/v1/segments/{name}"): "reader steward",
    ("PUT", "/v1/segments/{name}"): "",
    ("DELETE", "/v1/segments/{name}"): "",
    ("GET", "/v1/segments/{name}/count"): "reader steward",
    ("GET", "/v1/segments/{name}/members"): "reader steward",
    ("GET", "/v1/segments/{name}/why/{person_id}"): "reader steward",
    ("GET", "/v1/segments/{name}/export"): "exporter:segment",
    ("GET", "/v1/destinations"): "",
    ("PUT", "/v1/destinations/{name}"): "",
    ("DELETE", "/v1/destinations/{name}"): "",
    ("GET", "/v1/destinations/{name}"): "exporter:destination",
    ("POST", "/v1/destinations/{name}/deltas"): "exporter:destination",
    ("GET", "/v1/destinations/{name}/deltas/{generation}/{side}"): "exporter:destination",
    ("POST", "/v1/destinations/{name}/deltas/{generation}/commit"): "exporter:destination",
    ("DELETE", "/v1/destinations/{name}/deltas/{generation}"): "exporter:destination",
    ("GET", "/v1/review"): "steward",
    ("GET", "/v1/review/{pair_id}"): "steward",
    ("POST", "/v1/review/{pair_id}/decision"): "steward",
    ("GET", "/v1/audit"): "steward",
    ("POST", "/v1/persons/{person_id}/consent"): "steward",
    ("DELETE", "/v1/persons/{person_id}"): "steward",
    ("GET", "/v1/batches"): "steward",
    ("POST", "/v1/evidence/remove"): "steward",
    ("POST", "/v1/persons/merge"): "steward",
    ("POST", "/v1/persons/{person_id}/split"): "steward",
    ("GET", "/v1/hubs"): "steward",
    ("POST", "/v1/hubs/confirm"): "steward",
    ("POST", "/v1/hubs/release"): "steward",
}
_PARAM_VALUES = {
    "person_id": "p-unknown",
    "type": "email",
    "value:path": "nobody@example.com",
    "generation": "1",
    "side": "add",
    "pair_id": "unknown",
}
IN_SCOPE = "vip"  # the exporter's segment and destination


def app_routes() -> list[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(create_app().routes):
        for method in route.methods or ():
            if method != "HEAD" and route.path is not None:
                found.add((method, route.path))
    return sorted(found)


def url(path: str, name: str) -> str:
    def fill(m: re.Match[str]) -> str:
        param = m.group(1)
        return name if param == "name" else _PARAM_VALUES[param]

    return re.sub(r"\{([^}]+)\}", fill, path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    store = SQLiteStore(f"sqlite:///{tmp_path_factory.mktemp('auth') / 'graph.db'}")
    keys = {role: issue_key(store, role) for role in ROLES if role != "exporter"}
    keys["exporter"] = issue_key(store, "exporter", segments=[IN_SCOPE], destinations=[IN_SCOPE])
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    with TestClient(app) as client:
        yield client, keys


def call(client: TestClient, method: str, target: str, headers: dict[str, str]) -> int:
    body = {} if method in ("POST", "PUT") else None
    return client.request(method, target, headers=headers, json=body).status_code


def test_every_route_has_a_rule_and_an_expectation() -> None:
    routes = set(app_routes())
    assert routes - set(RULES) == set(), "routes without a rule in security/rules.py"
    assert routes - set(EXPECTED) == set(), "routes without an expectation in this test"
    assert set(RULES) - routes == set(), "rules for routes that do not exist"


@pytest.mark.parametrize(("method", "path"), app_routes())
def test_no_key_is_401_on_every_non_public_route(
    world: tuple[TestClient, dict[str, str]], method: str, path: str
) -> None:
    client, _ = world
    status = call(client, method, url(path, IN_SCOPE), {})
    if EXPECTED[(method, path)] == PUBLIC:
        assert status not in (401, 403)
        return
    assert status == 401
    r = client.request(method, url(path, IN_SCOPE), headers=bearer("igk_" + "x" * 43))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["detail"] == "the API key is not valid"
    assert call(client, method, url(path, IN_SCOPE), {"Authorization": "Bearer nonsense"}) == 401


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), app_routes())
def test_each_role_gets_exactly_its_routes(
    world: tuple[TestClient, dict[str, str]], role: str, method: str, path: str
) -> None:
    client, keys = world
    expected = EXPECTED[(method, path)]
    if expected == PUBLIC:
        return
    allowed_roles = {r.split(":")[0] for r in expected.split()}
    scoped = ":" in expected
    headers = bearer(keys[role])
    status = call(client, method, url(path, IN_SCOPE), headers)
    if role == "admin" or role in allowed_roles:
        assert status not in (401, 403), f"{role} refused {method} {path}"
    else:
        assert status == 403, f"{role} got {status} on {method} {path}"
    if scoped and role == "exporter":
        assert call(client, method, url(path, "someone-elses"), headers) == 403


def test_basic_auth_only_on_ingest_routes(world: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = world

    def basic(key: str, password: str = "") -> dict[str, str]:
        token = base64.b64encode(f"{key}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    batch = {"batch": []}
    assert client.post("/v1/batch", json=batch, headers=basic(keys["ingest"])).status_code == 200
    assert (
        client.post("/v1/batch", json=batch, headers=basic(keys["ingest"], "x")).status_code == 200
    )
    assert client.post("/v1/batch", json=batch, headers=basic("wrong")).status_code == 401
    # A reader's key sent as Basic on a read route: Bearer only there.
    assert client.get("/v1/stats", headers=basic(keys["reader"])).status_code == 401
    assert client.get("/v1/stats", headers=bearer(keys["reader"])).status_code == 200


def test_a_revoked_key_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = SQLiteStore(f"sqlite:///{tmp_path_factory.mktemp('revoke') / 'graph.db'}")
    service = IdentityService(store, Settings())
    key = issue_key(store, "reader", "soon-gone")
    with TestClient(create_app(service_factory=lambda: service)) as client:
        assert client.get("/v1/stats", headers=bearer(key)).status_code == 200
        service.keys.revoke("soon-gone", by="tests")
        assert client.get("/v1/stats", headers=bearer(key)).status_code == 401


def test_the_openapi_document_says_which_key_each_operation_takes() -> None:
    schema = create_app().openapi()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "basic"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            route = (method.upper(), path.replace("{value}", "{value:path}"))
            schemes = [next(iter(s)) for s in operation.get("security", [])]
            if EXPECTED[route] == PUBLIC:
                assert schemes == [], route
            else:
                basic = EXPECTED[route] == "ingest"
                assert schemes == (["bearer", "basic"] if basic else ["bearer"]), route
                assert {"401", "403"} <= set(operation["responses"]), route


def test_keys_authenticate_on_every_store(service: IdentityService) -> None:
    _, key = service.keys.create("ads", "exporter", segments=["vip"], by="tests")
    caller = service.keys.authenticate(key)
    assert (caller.name, caller.role, caller.segments) == ("ads", "exporter", frozenset({"vip"}))
    service.keys.revoke("ads", by="tests")
    with pytest.raises(Unauthenticated):
        service.keys.authenticate(key)
    with pytest.raises(Unauthenticated):
        service.keys.authenticate("igk_" + "A" * 43)  # well-formed, unknown
    assert [k.name for k in service.keys.list()] == ["ads"]


@pytest.mark.parametrize(("method", "path"), [r for r in app_routes() if r[0] in ("POST", "PUT")])
def test_a_body_that_is_not_json_is_401_without_a_key(
    world: tuple[TestClient, dict[str, str]], method: str, path: str
) -> None:
    """FastAPI parses the body before the app's dependencies: the key still comes first."""
    client, keys = world
    target = url(path, IN_SCOPE)

    def status(headers: dict[str, str]) -> int:
        json_type = {"content-type": "application/json", **headers}
        return client.request(method, target, content=b"{not json", headers=json_type).status_code

    assert status({}) == 401
    if "reader" not in EXPECTED[(method, path)]:
        assert status(bearer(keys["reader"])) == 403
    assert status(bearer(keys["admin"])) in (400, 422)
