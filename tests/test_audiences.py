"""Segments, exclusion lists and exports as marketers and ad platforms use them, through the
API on both stores and through the CLI: counted per person across all their identifiers."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from identity_graph.api import create_app
from identity_graph.cli import app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests.helpers import bearer, event, issue_key, login

AS_OF = "2025-03-31T12:00:00Z"
RECENT = "2025-03-20T10:00:00Z"
LONG_AGO = "2025-01-05T10:00:00Z"
EXAMPLE: dict[str, Any] = {
    "and": [
        {"viewed": {"product": "MATTRESS", "within_days": 30}},
        {"not": {"bought": {"product": "MATTRESS"}}},
        {"not": {"open_case": {}}},
        {"not": {"exposed": {"campaign": "WINTER", "at_least": 2}}},
        {"consent": {"purpose": "ad_personalization"}},
    ]
}
# Without the consent criterion: exports must still leave out who did not consent.
VIEWERS: dict[str, Any] = {"viewed": {"product": "MATTRESS"}}


def consent(allowed: bool, ts: str = RECENT, **fields: Any) -> dict[str, Any]:
    ev = event("identify", ts=ts, **fields)
    ev.setdefault("context", {})["consent"] = {
        "categoryPreferences": {"Advertising": allowed, "Analytics": True}
    }
    return ev


def track(name: str, props: dict[str, Any], ts: str = RECENT, **fields: Any) -> dict[str, Any]:
    return event("track", ts=ts, event=name, properties=props, **fields)


def viewed(ts: str = RECENT, **fields: Any) -> dict[str, Any]:
    return track("Product Viewed", {"product_id": "MATTRESS"}, ts, **fields)


def exposed(**fields: Any) -> dict[str, Any]:
    return track("Promotion Viewed", {"campaign_id": "WINTER"}, **fields)


def story() -> list[dict[str, Any]]:
    """Seven people; only bob belongs in EXAMPLE."""
    return [
        # anna: one exposure on the laptop cookie, one on the phone: exposed twice.
        login("anna", "anna-laptop", email="anna@example.com"),
        login("anna", "anna-phone"),
        consent(True, userId="anna"),
        viewed(anonymousId="anna-laptop"),
        exposed(anonymousId="anna-laptop"),
        exposed(anonymousId="anna-phone"),
        # bob: viewed, consents, exposed once: the one member.
        login("bob", "bob-web", email="Bob.Smith+ads@gmail.com", phone="+1 650 555 1212"),
        consent(True, anonymousId="bob-web"),
        viewed(anonymousId="bob-web"),
        exposed(userId="bob"),
        # carl bought the mattress.
        login("carl", "carl-web", email="carl@example.com"),
        consent(True, userId="carl"),
        viewed(userId="carl"),
        track(
            "Order Completed",
            {"products": [{"product_id": "MATTRESS", "price": 499}]},
            userId="carl",
        ),
        # dora has an open complaint (opened on the web, never closed).
        login("dora", "dora-web", email="dora@example.com"),
        consent(True, userId="dora"),
        viewed(userId="dora"),
        track("Case Opened", {"case_id": "K1"}, anonymousId="dora-web"),
        # eve said no to advertising.
        login("eve", "eve-web", email="eve@example.com"),
        consent(False, userId="eve"),
        viewed(userId="eve"),
        # finn viewed too long ago.
        login("finn", "finn-web", email="finn@example.com"),
        consent(True, userId="finn"),
        viewed(LONG_AGO, userId="finn"),
        # gus allowed on one identifier, then withdrew on another: the newest signal wins.
        login("gus", "gus-web", email="gus@example.com"),
        consent(True, "2025-03-01T10:00:00Z", anonymousId="gus-web"),
        consent(False, "2025-03-10T10:00:00Z", userId="gus"),
        viewed(userId="gus"),
    ]


@pytest.fixture
def service(store: GraphStore) -> IdentityService:
    return IdentityService(store, Settings())


@pytest.fixture
def client(service: IdentityService) -> Iterator[TestClient]:
    app = create_app(service_factory=lambda: service)
    with TestClient(app, headers=bearer(issue_key(service, "admin"))) as c:
        r = c.post("/v1/batch", json={"batch": story()})
        assert r.status_code == 200, r.text
        yield c


def person(client: TestClient, user: str) -> str:
    r = client.get(f"/v1/identifiers/customer_id/{user}/person")
    assert r.status_code == 200, r.text
    return str(r.json()["person_id"])


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_issue_segment_counts_persons_across_their_identifiers(client: TestClient) -> None:
    r = client.put("/v1/segments/mattress-retarget", json=EXAMPLE)
    assert r.status_code == 201, r.text
    assert client.put("/v1/segments/mattress-retarget", json=EXAMPLE).status_code == 200
    count = client.get("/v1/segments/mattress-retarget/count", params={"as_of": AS_OF})
    assert count.json() == {"segment": "mattress-retarget", "count": 1}
    members = client.get("/v1/segments/mattress-retarget/members", params={"as_of": AS_OF})
    assert members.json()["members"] == [person(client, "bob")]
    assert [s["name"] for s in client.get("/v1/segments").json()] == ["mattress-retarget"]
    assert client.get("/v1/segments/mattress-retarget").json()["definition"] == EXAMPLE


def test_why_names_the_criteria_and_the_identifiers(client: TestClient) -> None:
    client.put("/v1/segments/mattress-retarget", json=EXAMPLE)
    anna = person(client, "anna")
    why = client.get(f"/v1/segments/mattress-retarget/why/{anna}", params={"as_of": AS_OF})
    assert why.status_code == 200, why.text
    body = why.json()
    assert body["member"] is False
    text = json.dumps(body)
    # The two exposures came through two different identifiers of one person.
    assert "cookie:anna-laptop" in text and "cookie:anna-phone" in text
    bob = client.get(
        f"/v1/segments/mattress-retarget/why/{person(client, 'bob')}", params={"as_of": AS_OF}
    )
    assert bob.json()["member"] is True


def test_bad_segments_and_unknown_names_are_clear_4xx(client: TestClient) -> None:
    bad = {"and": [VIEWERS, VIEWERS, {"not": {"exposed": {"campaign": "W", "at_least": 0}}}]}
    r = client.put("/v1/segments/bad", json=bad)
    assert r.status_code == 422, r.text
    assert "and[2].not.exposed.at_least" in r.text
    assert client.get("/v1/segments/nope/count").status_code == 404
    r = client.put("/v1/segments/loop", json={"in_segment": {"name": "nope"}})
    assert r.status_code in (404, 422) and "nope" in r.text
    r = client.put("/v1/segments/Bad Name", json=VIEWERS)
    assert r.status_code == 422
    r = client.get("/v1/segments/nope/members", params={"cursor": "garbage"})
    assert r.status_code in (404, 422)
    client.put("/v1/segments/viewers", json=VIEWERS)
    r = client.get("/v1/segments/viewers/members", params={"cursor": "garbage"})
    assert r.status_code == 422 and "cursor" in r.text
    r = client.get("/v1/segments/viewers/export", params={"platform": "myspace"})
    assert r.status_code in (400, 422) and "google" in r.text


def test_members_page_with_cursors(client: TestClient) -> None:
    client.put("/v1/segments/viewers", json=VIEWERS)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/segments/viewers/members", params=params).json()
        seen += page["members"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and seen == sorted(seen)


def test_ready_made_exclusion_lists(client: TestClient) -> None:
    count = lambda name: client.get(f"/v1/segments/{name}/count").json()["count"]  # noqa: E731
    assert count("existing_customers") == 7  # every one of them logged in with a userId
    assert count("open_complaint") == 1
    assert count("bought:MATTRESS") == 1
    assert count("exposed:WINTER:2") == 1
    client.put(
        "/v1/segments/viewers-not-bought",
        json={"except": {"from": VIEWERS, "remove": [{"in_segment": "bought:MATTRESS"}]}},
    )
    assert count("viewers-not-bought") == 6


def test_export_hashes_the_platform_way_and_only_consenting_persons(client: TestClient) -> None:
    client.put("/v1/segments/viewers", json=VIEWERS)
    r = client.get("/v1/segments/viewers/export", params={"platform": "google"})
    assert r.status_code == 200, r.text
    text = r.text
    # Consenting viewers: anna, bob, carl, dora, finn (eve said no, gus withdrew).
    assert r.headers["x-audience-persons"] == "5"
    # Google drops dots and +tags of gmail addresses before hashing; E.164 phones with +.
    assert sha("bobsmith@gmail.com") in text
    assert sha("+16505551212") in text
    assert sha("eve@example.com") not in text and sha("gus@example.com") not in text
    meta = client.get("/v1/segments/viewers/export", params={"platform": "meta"}).text
    assert sha("bob.smith+ads@gmail.com") in meta and sha("16505551212") in meta
    excluded = client.get(
        "/v1/segments/viewers/export", params={"platform": "meta", "exclude": "bought:MATTRESS"}
    )
    assert excluded.headers["x-audience-persons"] == "4"
    assert sha("carl@example.com") not in excluded.text


def test_delta_over_http_removes_the_hashes_of_a_withdrawn_consent(client: TestClient) -> None:
    client.put("/v1/segments/viewers", json=VIEWERS)
    r = client.put("/v1/destinations/meta-main", json={"platform": "meta", "segment": "viewers"})
    assert r.status_code == 201, r.text
    staged = client.post("/v1/destinations/meta-main/deltas").json()
    assert staged["generation"] == 1 and staged["remove"] == 0 and staged["add"] > 0
    gen, lease = staged["generation"], staged["lease"]
    added = client.get(f"/v1/destinations/meta-main/deltas/{gen}/add", params={"lease": lease})
    assert sha("carl@example.com") in added.text
    # A second delta cannot start while this one holds the lease.
    assert client.post("/v1/destinations/meta-main/deltas").status_code == 409
    assert (
        client.post(
            f"/v1/destinations/meta-main/deltas/{gen}/commit", json={"lease": lease}
        ).json()["generation"]
        == 1
    )
    client.post(
        "/v1/batch", json={"batch": [consent(False, "2025-03-25T10:00:00Z", userId="carl")]}
    )
    staged = client.post("/v1/destinations/meta-main/deltas").json()
    assert staged["add"] == 0 and staged["remove"] >= 1
    removed = client.get(
        f"/v1/destinations/meta-main/deltas/{staged['generation']}/remove",
        params={"lease": staged["lease"]},
    )
    assert sha("carl@example.com") in removed.text
    assert client.get("/v1/destinations/nope").status_code == 404


# -- CLI (embedded store) ----------------------------------------------------------------

runner = CliRunner()


def cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'aud.db'}"
    events = tmp_path / "story.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in story()), encoding="utf-8")
    assert cli("ingest", str(events), "--store", url).exit_code == 0
    return url


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_cli_segment_commands(tmp_path: Path, store_url: str) -> None:
    spec = tmp_path / "seg.json"
    spec.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    r = cli("segment", "create", "retarget", "--file", str(spec), "--store", store_url)
    assert r.exit_code == 0, r.output
    r = cli("segment", "count", "retarget", "--json", "--as-of", "2025-03-31", "--store", store_url)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"segment": "retarget", "count": 1}
    assert "retarget" in cli("segment", "list", "--store", store_url).output
    assert "MATTRESS" in cli("segment", "show", "retarget", "--store", store_url).output
    out = tmp_path / "members.csv"
    r = cli(
        "segment",
        "members",
        "retarget",
        "-o",
        str(out),
        "--as-of",
        "2025-03-31",
        "--store",
        store_url,
    )
    assert r.exit_code == 0, r.output
    rows = read_csv(out)
    assert rows[0] == ["person_id"] and len(rows) == 2
    r = cli("segment", "why", "retarget", rows[1][0], "--as-of", "2025-03-31", "--store", store_url)
    assert r.exit_code == 0 and '"member": true' in r.output
    assert cli("segment", "delete", "retarget", "--store", store_url).exit_code == 0
    r = cli("segment", "count", "retarget", "--store", store_url)
    assert r.exit_code == 1 and "retarget" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"viewed": {"product": "X", "within_days": -1}}', encoding="utf-8")
    r = cli("segment", "create", "bad", "--file", str(bad), "--store", store_url)
    assert r.exit_code == 1 and "viewed.within_days" in r.output


def meta_delta(store_url: str, out: Path) -> Any:
    """The next delta of destination meta-main (segment viewers on Meta) to `out`."""
    args = ["viewers", "--platform", "meta", "-o", str(out), "--destination", "meta-main"]
    return cli("export", *args, "--delta", "--json", "--store", store_url)


def test_cli_export_full_then_delta(tmp_path: Path, store_url: str) -> None:
    spec = tmp_path / "viewers.json"
    spec.write_text(json.dumps(VIEWERS), encoding="utf-8")
    assert (
        cli("segment", "create", "viewers", "--file", str(spec), "--store", store_url).exit_code
        == 0
    )
    out = tmp_path / "google.csv"
    r = cli("export", "viewers", "--platform", "google", "-o", str(out), "--store", store_url)
    assert r.exit_code == 0, r.output
    assert "below google's minimum" in r.output  # 5 persons: the warning, and the file anyway
    text = out.read_text(encoding="utf-8")
    assert sha("bobsmith@gmail.com") in text and sha("eve@example.com") not in text
    r = cli("export", "viewers", "--platform", "myspace", "-o", str(out), "--store", store_url)
    assert r.exit_code == 1 and "google" in r.output
    r = cli(
        "export",
        "viewers",
        "--platform",
        "meta",
        "-o",
        str(out),
        "--destination",
        "nope",
        "--delta",
        "--store",
        store_url,
    )
    assert r.exit_code == 1 and "nope" in r.output
    assert (
        cli(
            "destination",
            "create",
            "meta-main",
            "--platform",
            "meta",
            "--segment",
            "viewers",
            "--store",
            store_url,
        ).exit_code
        == 0
    )
    first = tmp_path / "meta.csv"
    r = meta_delta(store_url, first)
    assert r.exit_code == 0, r.output
    outcome = json.loads(r.stdout)
    assert outcome["generation"] == 1 and outcome["removed"] == 0 and outcome["rows"] > 0
    # Nothing changed: an empty delta.
    again = tmp_path / "again.csv"
    r = meta_delta(store_url, again)
    assert json.loads(r.stdout)["rows"] == 0 and json.loads(r.stdout)["removed"] == 0
    # carl withdraws consent; bob gets a new email: carl's rows and nothing of bob's go.
    change = tmp_path / "change.jsonl"
    change.write_text(
        json.dumps(consent(False, "2025-03-25T10:00:00Z", userId="carl"))
        + "\n"
        + json.dumps(login("bob", "bob-web", email="bob@example.org"))
        + "\n",
        encoding="utf-8",
    )
    assert cli("ingest", str(change), "--store", store_url).exit_code == 0
    delta = tmp_path / "delta.csv"
    r = meta_delta(store_url, delta)
    assert r.exit_code == 0, r.output
    outcome = json.loads(r.stdout)
    assert outcome["generation"] == 3
    added = delta.read_text(encoding="utf-8")
    removed = (tmp_path / "delta.remove.csv").read_text(encoding="utf-8")
    assert sha("bob@example.org") in added and sha("bob.smith+ads@gmail.com") not in added
    assert sha("carl@example.com") in removed and sha("bob.smith+ads@gmail.com") not in removed
    r = cli("destination", "list", "--store", store_url)
    assert "meta-main" in r.output
