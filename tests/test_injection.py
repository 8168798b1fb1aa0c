"""Injection strings in every field that reaches SQL or Cypher are stored and read back
literally, on every store (the `service` fixture) and through the API: values are only ever
bound parameters, never text of a query.

Segment and destination names never reach a query as text either, and are restricted to
`[a-z0-9_.-]` anyway: an injection string there is a 422 that changes nothing. Event names
are only looked up in the settings' activity table, never stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient

from identity_graph.config import Settings
from identity_graph.ingest.readers import read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests import test_api
from tests.helpers import event, reads
from tests.test_api import _two_records_in_review

# The API on every store, as tests/test_api.py builds it.
client = test_api.client

NASTY = [
    "'); DROP TABLE identifiers;--",
    '" OR 1=1 --',
    "'}) MATCH (n) DETACH DELETE n //",
    "back\\slash\\' and \\\\",
    "$param",
    "\u2018smart\u2019 \u201cquotes\u201d \u02bcx",
    "%s %d %%",
    "{} {0} {{x}}",
]
# Emails must stay valid addresses: the characters a local part may hold that queries fear.
NASTY_EMAIL = "o'}{$x%s--@example.com"


def _events(i: int, value: str) -> list[dict[str, object]]:
    """One person per value: every trimmed identifier type, an email, and activity of each
    kind with the value as its product, campaign and case ID."""
    ctx = {
        "device": {"id": value},
        "externalIds": [
            {"id": value, "type": "loyalty_id"},
            {"id": value, "type": "crm_id"},
        ],
    }
    who = {"userId": value, "anonymousId": value}
    return [
        event("identify", **who, context=ctx, traits={"email": f"{i}{NASTY_EMAIL}"}),
        event(
            "track",
            **who,
            event="Order Completed",
            properties={"products": [{"product_id": value, "price": 2}]},
        ),
        event("track", **who, event="Promotion Viewed", properties={"campaign_id": value}),
        event("track", **who, event="Case Opened", properties={"case_id": value}),
    ]


def _keys(i: int, value: str) -> dict[str, str]:
    return {
        "customer_id": f"customer_id:{value}",
        "cookie": f"cookie:{value}",
        "loyalty_id": f"loyalty_id:{value}",
        "crm_id": f"crm_id:{value}",
        "device_id": f"device_id:{value.upper()}",
        "email": f"email:{i}{NASTY_EMAIL}",
    }


def test_identifiers_and_activity_ids_are_stored_and_read_back_literally(
    service: IdentityService,
) -> None:
    service.ingest_batch([ev for i, v in enumerate(NASTY) for ev in _events(i, v)])
    for i, value in enumerate(NASTY):
        keys = _keys(i, value)
        found = reads(service.store).identifiers(list(keys.values()))
        assert {k: found[k].value for k in found} == {
            key: key.split(":", 1)[1] for key in keys.values()
        }
        # All of one event are one person, and no other value joined them.
        (person,) = {found[k].person_id for k in found}
        assert {m.key for m in reads(service.store).members([person])[person]} == set(keys.values())
        targets = {
            (a.kind, a.target_id) for a in reads(service.store).activity([keys["customer_id"]])
        }
        assert targets == {
            ("PURCHASED", value),
            ("EXPOSED_TO", value),
            ("OPENED_CASE", value),
        }
    stats = service.stats()
    assert stats.persons == len(NASTY) and stats.identifiers == 6 * len(NASTY)


def test_segment_literals_match_exactly_what_was_stored(service: IdentityService) -> None:
    service.ingest_batch([ev for i, v in enumerate(NASTY) for ev in _events(i, v)])
    for i, value in enumerate(NASTY):
        name = f"s{i}"
        service.audiences.save(
            name,
            {
                "and": [
                    {"bought": {"product": value}},
                    {"exposed": {"campaign": value}},
                    {"trait": {"name": "open_cases", "contains": value}},
                ]
            },
        )
        assert service.audiences.count(name).count == 1, value
        stored = service.audiences.show(name).definition
        assert stored["and"][0] == {"bought": {"product": value}}
        # A near miss matches nobody: the literal is compared, not interpreted.
        service.audiences.save(f"{name}x", {"bought": {"product": value + " "}})
        assert service.audiences.count(f"{name}x").count == 0
    # The ready-made list of the same product, by name.
    assert service.audiences.count(f"bought:{NASTY[0]}").count == 1


def test_record_ids_attributes_and_consent_purposes_are_literal(
    store: GraphStore, tmp_path: Path
) -> None:
    purpose = NASTY[2]
    service = IdentityService(
        store,
        Settings(consent_categories={"Advertising": purpose}, consent_defaults={purpose: False}),
    )
    rows = [
        {"crm_id": value, "first_name": value, "address": NASTY[(i + 1) % len(NASTY)]}
        for i, value in enumerate(NASTY)
    ]
    path = tmp_path / "crm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    mapping = RecordMapping.infer(list(rows[0]), "crm", service.normalizer.types)
    service.ingest_stream(read_items(path), service.record_parser(mapping))
    for row in rows:
        (record,) = reads(store).records([f"crm_id:{row['crm_id']}"])
        assert record.record_id == row["crm_id"]
        assert record.attributes == {"given_name": row["first_name"], "address_1": row["address"]}
    consent = event("identify", userId="u", context={"consent": {"categoryPreferences": {}}})
    consent["context"]["consent"]["categoryPreferences"] = {"Advertising": True}
    service.ingest_batch([consent])
    (signal,) = reads(store).consent(["customer_id:u"])
    assert signal.purpose == purpose and signal.granted
    service.audiences.save("ok", {"consent": {"purpose": purpose}})
    assert service.audiences.count("ok").count == 1


def test_review_comments_are_audited_literally(store: GraphStore, tmp_path: Path) -> None:
    service = IdentityService(store, Settings())
    pid = _two_records_in_review(store, tmp_path)
    comment = " | ".join(NASTY)
    service.decide_review(pid, "reject", "steward", comment)
    (entry,) = service.audit(10, None)
    assert entry.detail["comment"] == comment


def test_through_the_api_values_come_back_as_sent(client: TestClient) -> None:
    batch = [ev for i, v in enumerate(NASTY) for ev in _events(i, v)]
    assert client.post("/v1/batch", json={"batch": batch}).status_code == 200
    for i, value in enumerate(NASTY):
        r = client.get(f"/v1/identifiers/customer_id/{quote(value, safe='')}/person")
        assert r.status_code == 200, (value, r.text)
        person = r.json()
        assert {i["key"] for i in person["identifiers"]} == set(_keys(i, value).values())
        assert client.get(f"/v1/persons/{person['person_id']}").json() == person
        definition = {"bought": {"product": value}}
        assert client.put(f"/v1/segments/p{i}", json=definition).status_code == 201
        assert client.get(f"/v1/segments/p{i}").json()["definition"] == definition
        assert client.get(f"/v1/segments/p{i}/members").json()["members"] == [person["person_id"]]
        explained = client.get(
            "/v1/explain", params={"a": f"cookie:{value}", "b": f"crm_id:{value}"}
        )
        assert explained.status_code == 200 and explained.json()["same_person"]


def test_injection_in_names_is_refused_and_changes_nothing(client: TestClient) -> None:
    for value in NASTY:
        name = quote(value, safe="")
        r = client.put(f"/v1/segments/{name}", json={"open_case": {}})
        assert r.status_code in (404, 422), r.text
        r = client.put(f"/v1/destinations/{name}", json={"platform": "google", "segment": "x"})
        assert r.status_code in (404, 422), r.text
    assert client.get("/v1/segments").json() == []
    assert client.get("/v1/destinations").json() == []
