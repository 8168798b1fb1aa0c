"""Erasure through the API and the CLI, and proof that nothing of the erased person stays
readable: every GET route of the app (walked from the app itself, so a new route joins the
check or fails it), segments, exports and destination deltas, audit, explain, and on Neo4j
every property of every node and relationship."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.ids import split_key
from identity_graph.review.decisions import pair_id
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.sqlite import SQLiteStore
from tests.erasure_data import (
    ANNA_CRM,
    ANNA_EMAIL,
    ANNA_PHONE,
    ANNA_USER,
    BOB_CRM,
    BOB_EMAIL,
    Seeded,
    found_in,
    seed,
)
from tests.helpers import bearer, event, issue_key, login, reads
from tests.neo4j_server import auth_from_env

BUYERS = {"bought": {"product": "p1"}}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# How the meta platform hashes her email and phone (the ledger and delta files hold these).
ANNA_HASHES = (sha(ANNA_EMAIL), sha(ANNA_PHONE.lstrip("+")))


@pytest.fixture
def app_and_keys(store: GraphStore) -> Iterator[tuple[TestClient, str]]:
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    steward = issue_key(store, "steward", "eva")
    with TestClient(app, headers=bearer(issue_key(store, "admin", "admin"))) as c:
        yield c, steward


def _export(c: TestClient) -> dict[str, Any]:
    staged: dict[str, Any] = c.post("/v1/destinations/meta-main/deltas").json()
    return staged


def _commit(c: TestClient, staged: dict[str, Any]) -> None:
    r = c.post(
        f"/v1/destinations/meta-main/deltas/{staged['generation']}/commit",
        json={"lease": staged["lease"]},
    )
    assert r.status_code == 200, r.text


def _values(s: Seeded, staged: dict[str, Any]) -> dict[str, list[str]]:
    """What to put in each path or query parameter of a GET route: everything that could
    name the erased person."""
    anna_keys = list(s.anna_keys)
    return {
        "person_id": [s.anna, s.anna_old],
        "type/value": [f"{t}/{v}" for t, v in map(split_key, anna_keys)],
        "name": ["buyers", "meta-main"],
        "generation": [str(staged["generation"])],
        "side": ["add"],
        "pair_id": [pair_id(f"crm_id:{ANNA_CRM}", f"crm_id:{BOB_CRM}")],
    }


def _get_paths(app: Any) -> list[str]:
    """The path template of every GET route of the app."""
    found = {
        route.path
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or ()) and route.path is not None
    }
    return sorted(found)


def _urls(paths: list[str], s: Seeded, staged: dict[str, Any]) -> Iterator[str]:
    """Every GET route, with every value its parameters can take from `_values`."""
    values = _values(s, staged)
    for template in paths:
        path = template.replace("{value:path}", "{value}")
        if "{type}/{value}" in path:
            for tv in values["type/value"]:
                yield path.replace("{type}/{value}", tv)
            continue
        names = re.findall(r"{(\w+)}", path)
        unknown = [n for n in names if n not in values]
        assert not unknown, f"{template}: give _values a value for {unknown}"
        urls = [path]
        for n in names:
            urls = [u.replace(f"{{{n}}}", v) for u in urls for v in values[n]]
        yield from urls


def _query(url: str, s: Seeded, staged: dict[str, Any]) -> dict[str, str]:
    """Query parameters a route needs, naming her where they can."""
    if url.startswith("/v1/explain"):
        return {"a": f"email:{ANNA_EMAIL}", "b": f"email:{BOB_EMAIL}"}
    if "/deltas/" in url:
        return {"lease": staged["lease"]}
    if url.endswith("/export"):
        return {"platform": "meta"}
    if url.startswith("/v1/audit"):
        return {"limit": "1000"}
    return {}


def test_nothing_of_an_erased_person_is_readable(
    store: GraphStore, app_and_keys: tuple[TestClient, str], tmp_path: Path
) -> None:
    c, steward = app_and_keys
    s = seed(IdentityService(store, Settings()), tmp_path)
    buy = event(
        "track",
        userId="u-bob-1",
        event="Order Completed",
        properties={"products": [{"product_id": "p1", "price": 3.0}]},
    )
    ok = event("identify", userId="u-bob-1")
    ok["context"] = {"consent": {"categoryPreferences": {"Advertising": True}}}
    assert c.post("/v1/batch", json={"batch": [buy, ok]}).status_code == 200
    assert c.put("/v1/segments/buyers", json=BUYERS).status_code in (200, 201)
    r = c.put("/v1/destinations/meta-main", json={"platform": "meta", "segment": "buyers"})
    assert r.status_code == 201, r.text
    first = _export(c)
    added = c.get(
        f"/v1/destinations/meta-main/deltas/{first['generation']}/add",
        params={"lease": first["lease"]},
    ).text
    assert all(h in added for h in ANNA_HASHES)  # the platform holds her now
    _commit(c, first)

    # A reader may not erase; the reason is required; then the steward erases her by the
    # old, merged ID.
    reader = issue_key(store, "reader", "reader")
    assert (
        c.delete(
            f"/v1/persons/{s.anna}", params={"reason": "x"}, headers=bearer(reader)
        ).status_code
        == 403
    )
    missing = c.delete(f"/v1/persons/{s.anna}", headers=bearer(steward))
    assert missing.status_code == 422 and "reason" in missing.text
    r = c.delete(
        f"/v1/persons/{s.anna_old}", params={"reason": "GDPR ticket 4711"}, headers=bearer(steward)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["person_id"] for e in body["erased"]] == [s.anna] and body["files_purged"]
    assert not found_in(r.text) and not [k for k in s.anna_keys if k in r.text]
    again = c.delete(f"/v1/persons/{s.anna}", params={"reason": "x"}, headers=bearer(steward))
    assert again.status_code == 404
    # Her events sent again are dropped, and the batch answer says how many.
    replay = c.post("/v1/batch", json={"batch": [login(ANNA_USER, "ck-new"), buy]})
    assert replay.status_code == 200 and replay.json()["erased_dropped"] == 1

    # The next delta removes her from the platform: the one place her hashes may appear.
    staged = _export(c)
    assert staged["remove"] == len(ANNA_HASHES) and staged["add"] == 0
    removed = c.get(
        f"/v1/destinations/meta-main/deltas/{staged['generation']}/remove",
        params={"lease": staged["lease"]},
    ).text
    assert all(h in removed for h in ANNA_HASHES)

    seen = 0
    for url in _urls(_get_paths(c.app), s, staged):
        resp = c.get(url, params=_query(url, s, staged))
        assert resp.status_code < 500, (url, resp.status_code)
        text = resp.text
        assert not found_in(text), url
        assert not [k for k in s.anna_keys if k in text], url
        assert not [h for h in ANNA_HASHES if h in text], url
        if s.anna in url or s.anna_old in url:
            assert resp.status_code == 404, url  # (the answer may repeat the ID asked for)
        elif url != "/v1/audit":
            # Her person IDs are no personal data; only the erasure's own audit row keeps
            # them (who was erased, when, why).
            assert s.anna_old not in text and s.anna not in text, url
        seen += 1
    assert seen >= 20
    audit = c.get("/v1/audit", params={"limit": 1000}).json()
    assert any(a["action"] == "person.erase" and a["actor"] == "eva" for a in audit)

    # Once that delta is committed, the ledger forgets her too.
    _commit(c, staged)
    with store.reader() as rd:
        ledger = [row for row in rd.scan("ledger") if row["destination"] == "meta-main"]
    assert ledger and all(row["person_id"] != s.anna for row in ledger)

    if not isinstance(store, SQLiteStore):
        _no_property_holds_her(store)


def test_a_delta_staged_before_the_erasure_still_ends_with_her_removal(
    store: GraphStore, app_and_keys: tuple[TestClient, str], tmp_path: Path
) -> None:
    """The exporter may have uploaded her rows already when the erasure comes: they are
    recorded as sent at the commit, and the next delta removes them from the platform."""
    c, steward = app_and_keys
    s = seed(IdentityService(store, Settings()), tmp_path)
    assert c.put("/v1/segments/buyers", json=BUYERS).status_code in (200, 201)
    c.put("/v1/destinations/meta-main", json={"platform": "meta", "segment": "buyers"})
    staged = _export(c)
    added = c.get(
        f"/v1/destinations/meta-main/deltas/{staged['generation']}/add",
        params={"lease": staged["lease"]},
    ).text
    assert all(h in added for h in ANNA_HASHES)  # uploaded, say, before the erasure
    r = c.delete(f"/v1/persons/{s.anna}", params={"reason": "asked"}, headers=bearer(steward))
    assert r.status_code == 200, r.text
    _commit(c, staged)
    after = _export(c)
    removed = c.get(
        f"/v1/destinations/meta-main/deltas/{after['generation']}/remove",
        params={"lease": after["lease"]},
    ).text
    assert all(h in removed for h in ANNA_HASHES)
    _commit(c, after)
    with store.reader() as rd:
        ledger = [row for row in rd.scan("ledger") if row["destination"] == "meta-main"]
    assert ledger == []  # she was the audience's only member


def _no_property_holds_her(store: GraphStore) -> None:
    """Every property of every node and relationship of the Neo4j graph, read back."""
    with neo4j.GraphDatabase.driver(store.url, auth=auth_from_env()) as d:
        nodes, _, _ = d.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
        rels, _, _ = d.execute_query("MATCH ()-[r]->() RETURN type(r) AS l, properties(r) AS p")
    assert nodes
    for rec in [*nodes, *rels]:
        text = json.dumps(rec["p"], default=str)
        assert not found_in(text), rec["l"]
        assert not [h for h in ANNA_HASHES if h in text], rec["l"]


runner = CliRunner()


def test_cli_erases_by_identifier_and_from_a_file(tmp_path: Path) -> None:
    from identity_graph.cli import app

    url = f"sqlite:///{tmp_path / 'g.db'}"
    service = IdentityService(SQLiteStore(url), Settings())
    service.ingest_events([login(ANNA_USER, "ck-1", email=ANNA_EMAIL), login("bob", "ck-b")])
    bob = reads(service.store).identifiers(["customer_id:bob"])["customer_id:bob"].person_id
    service.close()
    targets = tmp_path / "targets.txt"
    targets.write_text(f"{bob}\n\nnobody-here\n", encoding="utf-8")
    r = runner.invoke(
        app,
        [
            "erase",
            f"email:{ANNA_EMAIL.upper()}",
            "--from-file",
            str(targets),
            "--by",
            "cli:ops",
            "--reason",
            "tickets 1-2",
            "--store",
            url,
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert len(report["erased"]) == 2 and report["not_found"] == [2]
    assert not found_in(r.output)
    r = runner.invoke(
        app, ["erase", f"email:{ANNA_EMAIL}", "--by", "x", "--reason", "y", "--store", url]
    )
    assert r.exit_code == 0 and "targets already erased" in r.output and "1" in r.output
    assert not found_in(r.output)
    r = runner.invoke(app, ["erase", "someone", "--store", url])
    assert r.exit_code == 2 and "--reason" in r.output
    service = IdentityService(SQLiteStore(url), Settings())
    dropped = service.ingest_events([login(ANNA_USER, "ck-2")])
    assert dropped.erased_dropped == 1
    service.close()
