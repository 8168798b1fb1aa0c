"""The logs of a full run of a live server hold no identifier it was sent.

One `identity-graph serve` subprocess (this checkout's code, JSON logs on stderr) takes
ingest batches of generated events (emails, phones, cookies, user IDs, device and ad IDs,
names), lookups by every identifier and by person ID, `explain` with identifiers in its
query string, the review queue (list, get, decide: pair IDs encode identifier keys), and
bad requests (400 bad items, 404 unknown identifiers, 422 malformed values and bodies).
Then every line must be a JSON object, every request line must carry a request ID and a
route template, and not one value sent or shown back appears in the logs: raw, normalized
(as the profiles show it), URL-encoded, or JSON-escaped.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from identity_graph.logs import REQUESTS_LOGGER
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, event
from tests.logged_server import cli, live_server
from tests.test_api import _two_records_in_review

pytestmark = pytest.mark.slow

PEOPLE = 12


def _person_events(i: int, tag: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Events of one generated person, and the raw values they carry."""
    user, cookie = f"user-{tag}-{i}", f"anon-{secrets.token_hex(6)}"
    email = f"Zelda.Quimby{i}.{tag}@Example-Mail.ORG"  # normalized: lower case
    phone = f"(415) 555-{1000 + i:04d}"  # normalized: +1415555....
    device, ad = f"dev-{secrets.token_hex(6)}", f"{secrets.token_hex(4)}-ad-{tag}-{i}"
    first, last = f"Zorbulina{tag}{i}", f"Quaxworth{tag}{i}"
    events = [
        event(
            "identify",
            userId=user,
            anonymousId=cookie,
            email=email,
            phone=phone,
            device=device,
            ad_id=ad,
            traits={"email": email, "phone": phone, "firstName": first, "lastName": last},
        ),
        event(
            "track",
            userId=user,
            event="Order Completed",
            properties={"products": [{"product_id": "sku-1", "price": 12.5}]},
        ),
        event("page", anonymousId=cookie, name="Home"),
    ]
    return events, [user, cookie, email, phone, device, ad, first, last]


def _forms(value: str) -> set[str]:
    """How a value could show up in a log line."""
    escaped = json.dumps(value)[1:-1]
    return {value, value.lower(), quote(value, safe=""), quote(value), quote_plus(value), escaped}


def _values_shown(profile: dict[str, Any]) -> set[str]:
    """Identifier values as stored (normalized) and the traits the profile shows back."""
    shown = {i["value"] for i in profile["identifiers"]} | {
        i["key"] for i in profile["identifiers"]
    }
    shown |= {v for v in profile.get("attributes", {}).values() if isinstance(v, str)}
    return shown


def test_a_full_run_logs_no_identifier(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scan.db'}"
    store = SQLiteStore(url)
    pair = _two_records_in_review(store, tmp_path)  # CRM records C1/C2 and their review
    store.close()
    keys = {}
    for role in ("ingest", "reader", "steward"):
        made = cli(
            "keys", "create", "--store", url, "--name", f"{role}-key", "--role", role, "--json"
        )
        assert made.returncode == 0, made.stderr
        keys[role] = json.loads(made.stdout)["key"]
    as_reader, as_steward = bearer(keys["reader"]), bearer(keys["steward"])
    tag = secrets.token_hex(3)
    # The keys are secrets: they must not be logged either (their names are).
    sent: set[str] = {pair, "crm_id:C1", "crm_id:C2", "Smith", *keys.values()}
    people = [_person_events(i, tag) for i in range(PEOPLE)]
    requests = 0

    with (
        live_server(url, tmp_path, ["--log-format", "json"]) as server,
        httpx.Client(base_url=server.url, timeout=60, headers=as_reader) as c,
    ):

        def call(method: str, path: str, **kw: Any) -> httpx.Response:
            nonlocal requests
            requests += 1
            return c.request(method, path, **kw)

        for start in range(0, PEOPLE, 4):  # batches of four persons, as an SDK sends them
            batch = [e for events, _ in people[start : start + 4] for e in events]
            r = call("POST", "/v1/batch", json={"batch": batch}, auth=(keys["ingest"], ""))
            assert r.status_code == 200, r.text
        for _, values in people:
            sent.update(values)
            email, phone = values[2], values[3]
            r = call("GET", f"/v1/identifiers/email/{quote(email, safe='')}/person")
            assert r.status_code == 200, r.text
            profile = r.json()
            sent |= _values_shown(profile)
            for ident in profile["identifiers"]:
                value = quote(ident["value"], safe="")
                got = call("GET", f"/v1/identifiers/{ident['type']}/{value}/person")
                assert got.status_code == 200, got.text
            assert call("GET", f"/v1/identifiers/phone/{quote(phone)}/person").is_success
            assert call("GET", f"/v1/persons/{profile['person_id']}").status_code == 200
            why = call("GET", "/v1/explain", params={"a": f"email:{email}", "b": f"phone:{phone}"})
            assert why.status_code == 200, why.text
        assert call("GET", "/v1/stats").status_code == 200

        # The review queue: the pair ID is the base64 of two identifier keys.
        page = call("GET", "/v1/review", headers=as_steward).json()
        assert [item["pair_id"] for item in page["items"]] == [pair]
        assert call("GET", f"/v1/review/{pair}", headers=as_steward).status_code == 200
        decision = f"/v1/review/{pair}/decision"
        decided = call("POST", decision, json={"decision": "approve"}, headers=as_steward)
        assert decided.status_code == 200, decided.text
        assert call("GET", "/v1/audit", headers=as_steward).status_code == 200

        # Bad requests, each with a value that must not be logged either.
        bad_email, unknown = f"broken.{tag}@", f"nobody.{tag}@example.net"
        bad_phone, bad_cookie = f"12{tag}", f"ghost-cookie-{tag}"
        sent |= {bad_email, unknown, bad_phone, bad_cookie}
        bad = {"type": "identify", "userId": f"u-{tag}", "traits": {"email": bad_email}}
        as_ingest = bearer(keys["ingest"])
        assert (
            call("POST", "/v1/batch", json={"batch": [bad]}, headers=as_ingest).status_code == 400
        )
        assert call("GET", f"/v1/identifiers/email/{unknown}/person").status_code == 404
        assert call("GET", f"/v1/identifiers/cookie/{bad_cookie}/person").status_code == 404
        assert call("GET", f"/v1/identifiers/phone/{bad_phone}/person").status_code == 422
        assert call("GET", f"/v1/persons/{unknown}").status_code == 404
        r = call("GET", "/v1/explain", params={"a": unknown, "b": f"cookie:{bad_cookie}"})
        assert r.status_code == 422
        r = call(
            "POST",
            "/v1/batch",
            content=f'{{"batch": [{{"userId": "{unknown}"'.encode(),
            headers={**as_ingest, "content-type": "application/json"},
        )
        assert r.status_code == 422
        # The same body without a key: the key is checked first, whatever the body.
        r = call(
            "POST",
            "/v1/batch",
            content=f'{{"batch": [{{"userId": "{unknown}"'.encode(),
            headers={"Authorization": "", "content-type": "application/json"},
        )
        assert r.status_code == 401
        r = call("POST", decision, json={"decision": unknown}, headers=as_steward)
        assert r.status_code == 422
        # No key, a wrong key, a key of the wrong role.
        assert (
            call(
                "GET", f"/v1/identifiers/email/{unknown}/person", headers={"Authorization": ""}
            ).status_code
            == 401
        )
        assert call("GET", "/v1/stats", headers=bearer(f"igk_{tag}{unknown}")).status_code == 401
        assert call("GET", "/v1/review", headers=as_reader).status_code == 403

    lines = server.log_lines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(r, dict) for r in records)
    for r in records:
        assert {"ts", "level", "logger", "msg", "request_id"} <= r.keys(), r
    request_lines = [r for r in records if r["logger"] == REQUESTS_LOGGER]
    api_lines = [r for r in request_lines if r["route"] != "/healthz"]  # startup polling
    assert len(api_lines) == requests
    for r in request_lines:
        assert r["request_id"] and r["method"] and r["route"].startswith("/")
        assert isinstance(r["status"], int) and r["duration_ms"] >= 0
    # The caller is the key's name on every authenticated request.
    callers = {r["caller"] for r in api_lines if "caller" in r}
    assert callers == {"ingest-key", "reader-key", "steward-key"}
    anonymous = [(r["route"], r["status"]) for r in api_lines if "caller" not in r]
    assert sorted(anonymous) == [
        ("/v1/batch", 401),
        ("/v1/identifiers/{type}/{value}/person", 401),
        ("/v1/stats", 401),
    ]
    by_route = {(r["route"], r.get("caller")) for r in api_lines if r["status"] == 200}
    assert ("/v1/batch", "ingest-key") in by_route
    assert ("/v1/review/{pair_id}/decision", "steward-key") in by_route
    routes = {r["route"] for r in api_lines}
    assert "/v1/identifiers/{type}/{value}/person" in routes
    assert "/v1/review/{pair_id}/decision" in routes
    assert len({r["request_id"] for r in request_lines}) == len(request_lines)

    text = "\n".join(lines)
    decoded = "\n".join(str(v) for r in records for v in r.values())
    leaks = sorted(
        form
        for value in sent
        if len(value) >= 5
        for form in _forms(value)
        if form in text or form in decoded
    )
    assert not leaks, f"{len(leaks)} identifier forms in the logs, e.g. {leaks[:3]}"
