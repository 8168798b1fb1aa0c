"""The profile lookups' fast path (api/fastpath.py) answers exactly what FastAPI's routes
answer, on each store: the same status, headers and bytes for every kind of person ID and
identifier, every key, every malformed path; it counts and logs its requests as the routes
do; and it really answers lookups itself."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Receive, Scope, Send

from identity_graph.api import observability
from identity_graph.api.fastpath import LookupFastPath
from identity_graph.api.main import create_app
from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.ids import PersonId as P
from identity_graph.service import identity
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, LineageRow, NewIdentifierRow, Person
from identity_graph.stores.sqlite import SQLiteStore
from tests.conftest import STORES
from tests.helpers import bearer, event, issue_key, login, person_of
from tests.neo4j_server import auth_from_env

T0 = "2025-01-01T00:00:00.000000Z"
# Headers that differ between any two answers: the request's own ID and the clock.
VARYING = {"x-request-id", "date"}
SETTINGS = Settings().model_copy(update={"hub_limit": 3})  # shared devices split persons


class World:
    def __init__(self, fast: TestClient, slow: TestClient, keys: dict[str, str]) -> None:
        self.fast, self.slow, self.keys = fast, slow, keys
        self.person_ids: list[str] = []
        self.identifier_paths: list[str] = []


def _build(open_store: Callable[[], GraphStore]) -> None:
    service = IdentityService(open_store(), SETTINGS)
    try:
        pop = synthetic.make_population(people=40, seed=11)
        events = list(synthetic.iter_events(pop))
        for start in range(0, len(events), 60):  # several batches: merges between them
            service.ingest_events(events[start : start + 60])
        service.ingest_events([login(u, "tablet") for u in ("a", "b", "c", "d")])
        service.ingest_events(
            [
                login("ab/12", "c-slash"),  # a value with a slash
                event("identify", userId="zoë", email="Zoë.Müller@Example.com"),
                login("big", "big-0"),
                *[event("page", userId="big", anonymousId=f"big-{i}") for i in range(1, 6)],
            ]
        )
        with service.store.unit_of_work() as tx:  # a person left without identifiers: 410
            tx.apply(
                ChangeSet(
                    at=T0,
                    persons=[Person(P("p_gone"), T0, T0), Person(P("p_piece"), T0, T0)],
                    new_identifiers=[
                        NewIdentifierRow(
                            "cookie:piece",  # type: ignore[arg-type]
                            "cookie",
                            "piece",
                            T0,
                            T0,
                            P("p_piece"),
                        )
                    ],
                    lineage=[LineageRow(P("p_piece"), P("p_gone"), "SPLIT_FROM", T0, "hub")],
                )
            )
    finally:
        service.close()


@pytest.fixture(scope="module", params=STORES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fastpath') / 'graph.db'}"

        def open_store() -> GraphStore:
            return SQLiteStore(url)
    else:
        from identity_graph.stores.neo4j import Neo4jStore

        uri = request.getfixturevalue("neo4j_uri")

        def open_store() -> GraphStore:
            return Neo4jStore(uri, auth=auth_from_env())

        empty = open_store()
        empty.reset()
        empty.close()
    _build(open_store)
    store = open_store()
    keys = {role: issue_key(store, role) for role in ("reader", "ingest", "steward", "admin")}
    keys["exporter"] = issue_key(store, "exporter", segments=["s"], destinations=["d"])

    def app(fast: bool) -> Any:
        return create_app(
            service_factory=lambda: IdentityService(open_store(), SETTINGS),
            lookup_fast_path=fast,
        )

    with TestClient(app(True)) as fast, TestClient(app(False)) as slow:
        w = World(fast, slow, keys)
        with store.reader() as r:
            w.person_ids = sorted({str(row["person_id"]) for row in r.scan("persons")})
            for row in r.scan("identifiers"):
                value = urllib.parse.quote(str(row["value"]), safe="")
                w.identifier_paths.append(f"/v1/identifiers/{row['type']}/{value}/person")
        # Merged and erased IDs: the merged one redirects, the erased one is unknown.
        merged = person_of(fast.app.state.service, "customer_id:a")  # type: ignore[attr-defined]
        erased = person_of(fast.app.state.service, "customer_id:zoë")  # type: ignore[attr-defined]
        done = fast.delete(
            f"/v1/persons/{erased}", params={"reason": "test"}, headers=bearer(keys["admin"])
        )
        assert done.status_code == 200, done.text
        w.person_ids += [merged, erased]
        yield w
    if request.param != "sqlite":
        store.reset()
    store.close()


def _answer(client: TestClient, method: str, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    r = client.request(method, path, headers=headers)
    assert "x-request-id" in r.headers
    kept = sorted((k, v) for k, v in r.headers.items() if k not in VARYING)
    return r.status_code, kept, r.content


def _same(w: World, path: str, headers: dict[str, str], method: str = "GET") -> int:
    fast = _answer(w.fast, method, path, headers)
    assert fast == _answer(w.slow, method, path, headers), path
    return int(fast[0])


def test_every_person_and_identifier_is_answered_as_the_routes_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A person of more than 3 identifiers is read on a thread, as a large one would be.
    monkeypatch.setattr(identity, "INLINE_IDENTIFIERS", 3)
    admin = bearer(world.keys["admin"])
    statuses = [_same(world, f"/v1/persons/{pid}", admin) for pid in world.person_ids]
    statuses += [_same(world, path, admin) for path in world.identifier_paths]
    assert {200, 404, 410} <= set(statuses)
    body = world.fast.get(world.identifier_paths[0], headers=admin).json()
    assert body["identifiers"], "a lookup answered without identifiers"
    redirected = [
        world.fast.get(f"/v1/persons/{pid}", headers=admin).json().get("redirected_from")
        for pid in world.person_ids
    ]
    assert any(redirected), "no merged person ID in the store"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/identifiers/customer_id/ab%2F12/person",  # an encoded slash
        "/v1/identifiers/customer_id/ab/12/person",  # a plain one
        "/v1/identifiers/email/Zo%C3%AB.M%C3%BCller%40Example.com/person",  # erased
        "/v1/identifiers/email/NOT-AN-EMAIL/person",  # refused by normalization
        "/v1/identifiers/nonsense/x/person",  # an unknown type
        "/v1/identifiers/cookie//person",  # an empty value
        "/v1/identifiers/cookie/nobody/person",
        "/v1/identifiers/cookie/c-slash/person/",  # a trailing slash
        "/v1/identifiers/" + "t" * 65 + "/x/person",  # a type too long: 422
        "/v1/identifiers/cookie/" + "v" * 1025 + "/person",  # a value too long: 422
        "/v1/persons/" + "p" * 257,  # an ID too long: 422
        "/v1/persons/p_nobody",
        "/v1/persons/p_gone",
        "/v1/persons/p_piece?fields=all",  # a query string
        "/v1/persons/",
        "/v1/persons/p_piece/",
    ],
)
def test_odd_paths_are_answered_as_the_routes_answer(world: World, path: str) -> None:
    _same(world, path, bearer(world.keys["admin"]))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer igk_not-a-key"},
        {"Authorization": "Basic aWdrX25vdC1hLWtleTo="},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_callers_without_a_valid_key_are_refused_as_the_routes_refuse(
    world: World, headers: dict[str, str]
) -> None:
    assert _same(world, "/v1/persons/p_piece", headers) == 401
    assert _same(world, "/v1/identifiers/cookie/piece/person", headers) == 401
    assert _same(world, "/v1/identifiers/cookie/" + "v" * 1025 + "/person", headers) == 401


@pytest.mark.parametrize("role", ["reader", "ingest", "steward", "exporter", "admin"])
def test_every_role_gets_what_the_routes_give_it(world: World, role: str) -> None:
    headers = bearer(world.keys[role])
    _same(world, "/v1/persons/p_piece", headers)
    _same(world, "/v1/identifiers/cookie/piece/person", headers)
    _same(world, world.identifier_paths[1], headers)


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "OPTIONS"])
def test_other_methods_are_left_to_fastapi(world: World, method: str) -> None:
    _same(world, "/v1/persons/p_piece", bearer(world.keys["admin"]), method)


segment = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["persons", "identifiers"]),
    parts=st.lists(segment, min_size=1, max_size=3),
    quoted=st.booleans(),
)
def test_random_lookup_paths_are_answered_as_the_routes_answer(
    world: World, kind: str, parts: list[str], quoted: bool
) -> None:
    pieces = [urllib.parse.quote(p, safe="" if quoted else "/") for p in parts]
    if kind == "persons":
        path = "/v1/persons/" + "/".join(pieces)
    else:
        path = "/v1/identifiers/" + "/".join(pieces) + "/person"
    _same(world, path, bearer(world.keys["admin"]))


def test_a_fast_path_lookup_is_counted_and_logged_under_its_route(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    route = "/v1/identifiers/{type}/{value}/person"
    counter = observability.REQUESTS.labels("GET", route, "2xx")
    latency = observability.LOOKUP_LATENCY.labels(route)
    before, seen = counter._value.get(), latency._sum.get()  # type: ignore[attr-defined]
    with caplog.at_level(logging.INFO, logger="identity_graph.requests"):
        r = world.fast.get(
            "/v1/identifiers/cookie/piece/person", headers=bearer(world.keys["admin"])
        )
    assert r.status_code == 200
    assert counter._value.get() == before + 1  # type: ignore[attr-defined]
    assert latency._sum.get() > seen  # type: ignore[attr-defined]
    (line,) = [rec for rec in caplog.records if rec.name == "identity_graph.requests"]
    assert line.route == route  # type: ignore[attr-defined]
    assert line.caller.startswith("test-admin")  # type: ignore[attr-defined]
    assert line.status == 200  # type: ignore[attr-defined]
    assert "piece" not in line.getMessage()


def test_the_fast_path_answers_lookups_without_the_routes(world: World) -> None:
    """Driven with an inner app that fails the test: valid lookups never reach FastAPI,
    an invalid parameter always does."""
    app = world.fast.app
    reached: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fast = LookupFastPath(inner, fastapi_app=app)  # type: ignore[arg-type]

    async def with_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app  # what Starlette sets before any middleware runs
        await fast(scope, receive, send)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=with_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            admin = bearer(world.keys["admin"])
            paths = [
                "/v1/persons/p_piece",
                "/v1/persons/p_gone",
                "/v1/persons/p_nobody",
                "/v1/identifiers/cookie/piece/person",
                "/v1/identifiers/cookie/nobody/person",
            ]
            got = [(await client.get(p, headers=admin)).status_code for p in paths]
            got.append((await client.get("/v1/persons/p_piece")).status_code)
            got.append((await client.get("/v1/persons/" + "p" * 257, headers=admin)).status_code)
            return got

    assert asyncio.run(run()) == [200, 410, 404, 200, 404, 401, 599]
    assert reached == ["/v1/persons/" + "p" * 257]


def test_an_app_without_its_lookup_routes_is_refused(tmp_path: Path) -> None:
    from fastapi import FastAPI

    fast = LookupFastPath(lambda *a: None, fastapi_app=FastAPI())  # type: ignore[arg-type]

    scope = {"type": "http", "method": "GET", "path": "/v1/persons/x", "headers": []}
    with pytest.raises(RuntimeError, match="lookup routes were not found"):
        asyncio.run(fast(scope, None, None))  # type: ignore[arg-type]


def test_a_route_the_router_would_try_first_keeps_its_requests(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'graph.db'}"
    app = create_app(service_factory=lambda: IdentityService(SQLiteStore(url), Settings()))

    async def special(person_id: str) -> dict[str, str]:
        return {"special": person_id}

    # The lookup's own template (its access rule applies), tried before the lookup route.
    app.add_api_route("/v1/persons/{person_id}", special, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())
    key = issue_key(SQLiteStore(url), "admin")
    with TestClient(app) as client:
        r = client.get("/v1/persons/p_nobody", headers=bearer(key))
        assert (r.status_code, r.json()) == (200, {"special": "p_nobody"})
