"""Consent withdrawal is a lifecycle event: an ingested denial, or a steward's
POST /v1/persons/{id}/consent, takes the person out of ad exports at the next delta (its
`remove` side holds their rows). Through the API, on every store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests.helpers import bearer, issue_key
from tests.test_audiences import VIEWERS, consent, person, sha, story

DEST = "/v1/destinations/meta-main"
WITHDRAW = {"purpose": "ad_personalization", "granted": False, "reason": "asked by phone"}


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    service = IdentityService(store, Settings())
    app = create_app(service_factory=lambda: service)
    with TestClient(app, headers=bearer(issue_key(service, "admin"))) as c:
        assert c.post("/v1/batch", json={"batch": story()}).status_code == 200
        c.put("/v1/segments/viewers", json=VIEWERS)
        r = c.put(DEST, json={"platform": "meta", "segment": "viewers"})
        assert r.status_code == 201, r.text
        yield c


def delta(client: TestClient) -> dict[str, str]:
    """Stage, fetch both sides and commit the next delta: side -> its CSV text."""
    staged = client.post(f"{DEST}/deltas").json()
    gen, lease = staged["generation"], staged["lease"]
    sides = {
        side: client.get(f"{DEST}/deltas/{gen}/{side}", params={"lease": lease}).text
        for side in ("add", "remove")
    }
    assert client.post(f"{DEST}/deltas/{gen}/commit", json={"lease": lease}).status_code == 200
    return sides


def steward(client: TestClient, store: GraphStore) -> dict[str, str]:
    return bearer(issue_key(store, "steward", "desk-steward"))


def test_a_stewards_withdrawal_removes_the_person_at_the_next_delta(
    client: TestClient, store: GraphStore
) -> None:
    first = delta(client)
    assert sha("carl@example.com") in first["add"]
    carl = person(client, "carl")
    r = client.post(f"/v1/persons/{carl}/consent", json=WITHDRAW, headers=steward(client, store))
    assert r.status_code == 200, r.text
    assert r.json()["person_id"] == carl and r.json()["identifiers"] == 3
    assert r.json()["granted"] is False
    second = delta(client)
    assert sha("carl@example.com") in second["remove"]
    assert sha("carl@example.com") not in second["add"]
    assert sha("bob.smith+ads@gmail.com") not in second["remove"]  # the others stay
    assert sha("carl@example.com") not in delta(client)["add"]  # and carl stays out
    profile = client.get(f"/v1/persons/{carl}").json()
    assert profile["traits"]["consent"] == {"ad_personalization": False}
    assert {c["source"] for c in profile["consent"]} == {"steward"}
    (entry,) = client.get("/v1/audit", params={"person": carl}).json()
    assert (entry["action"], entry["actor"], entry["subject"]) == (
        "consent.withdraw",
        "desk-steward",
        f"person:{carl}",
    )
    assert entry["persons"] == [carl]
    assert "email:carl@example.com" in entry["identifiers"]
    assert entry["detail"]["reason"] == "asked by phone"
    assert entry["detail"]["before"]["granted"] == {"customer_id:carl": True}
    by_key = client.get("/v1/audit", params={"identifier": "email:Carl@Example.com"}).json()
    assert [e["action"] for e in by_key] == ["consent.withdraw"]


def test_an_ingested_denial_on_another_identifier_removes_the_person(
    client: TestClient,
) -> None:
    """anna granted on her user ID; a denial arrives later on her phone's cookie."""
    assert sha("anna@example.com") in delta(client)["add"]
    denial = consent(False, "2025-03-26T10:00:00Z", anonymousId="anna-phone")
    assert client.post("/v1/batch", json={"batch": [denial]}).status_code == 200
    second = delta(client)
    assert sha("anna@example.com") in second["remove"]
    assert second["add"].count("\n") <= 1  # the header only


def test_a_withdrawal_wins_over_a_grant_dated_a_little_ahead(
    client: TestClient, store: GraphStore
) -> None:
    ahead = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    grant = consent(True, ahead, userId="dora")
    assert client.post("/v1/batch", json={"batch": [grant]}).status_code == 200
    dora = person(client, "dora")
    r = client.post(f"/v1/persons/{dora}/consent", json=WITHDRAW, headers=steward(client, store))
    assert r.status_code == 200, r.text
    assert r.json()["at"] >= ahead.replace("Z", "")
    traits = client.get(f"/v1/persons/{dora}").json()["traits"]
    assert traits["consent"] == {"ad_personalization": False}


def test_bad_withdrawals_are_4xx_naming_the_field(client: TestClient, store: GraphStore) -> None:
    carl = person(client, "carl")
    url = f"/v1/persons/{carl}/consent"
    for body, field in (
        ({**WITHDRAW, "granted": True}, "granted"),
        ({k: v for k, v in WITHDRAW.items() if k != "reason"}, "reason"),
        ({**WITHDRAW, "reason": ""}, "reason"),
        ({**WITHDRAW, "reason": "x" * 5000}, "reason"),
        ({**WITHDRAW, "by": "boss"}, "by"),
    ):
        r = client.post(url, json=body)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["field"] == field
    r = client.post(url, json={**WITHDRAW, "purpose": "telepathy"})
    assert r.status_code == 422 and r.json()["detail"].startswith("purpose:")
    r = client.post("/v1/persons/nobody/consent", json=WITHDRAW)
    assert r.status_code == 404
    assert client.get("/v1/audit", params={"action": "consent.withdraw"}).json() == []
