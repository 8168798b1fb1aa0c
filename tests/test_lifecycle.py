"""The graph's lifecycle on every store: provenance per ingest batch, removal of evidence
(link, identifier, batch, source) with re-clustering and SPLIT_FROM lineage, a steward's
merge and split (must-link, cannot-link, MERGED_INTO), and hubs (list, confirm, release)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from identity_graph.config import Settings
from identity_graph.errors import ConflictError, InvalidField, NotFoundError
from identity_graph.ingest.records import RecordMapping
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import (
    ActivityRow,
    ChangeSet,
    HubStateRow,
    ProvenanceRow,
    consent_other,
)
from tests.helpers import event, login, person_of, reads

STEWARD = "steward:eva"
CRM = RecordMapping(
    source="crm",
    id_column="crm_id",
    id_type="crm_id",
    identifiers={"email": "email"},
    attributes={"first_name": "given_name"},
    consent={"ads": "ad_personalization"},
    timestamp_column="updated",
)


def lineage(store: GraphStore) -> list[tuple[str, str, str, str]]:
    with store.reader() as r:
        return sorted(
            (str(x["from_id"]), str(x["to_id"]), str(x["kind"]), str(x["reason"]))
            for x in r.scan("lineage")
        )


def scan(store: GraphStore, kind: str) -> list[dict[str, Any]]:
    with store.reader() as r:
        return list(r.scan(kind))


def crm(service: IdentityService, rows: list[dict[str, str]], batch_id: str | None = None) -> str:
    items = [(i + 1, row, 0) for i, row in enumerate(rows)]
    report = service.ingest_stream(items, service.record_parser(CRM), batch_id=batch_id)
    return report.summary.batch_id


def buy(user: str, product: str, price: float) -> dict[str, Any]:
    return event(
        "track",
        userId=user,
        event="Order Completed",
        properties={"products": [{"product_id": product, "price": price, "quantity": 1}]},
    )


# -- provenance --------------------------------------------------------------------------


def test_every_ingest_batch_has_an_id_and_its_provenance_is_listed(
    service: IdentityService,
) -> None:
    first = service.ingest_events([login("u1", "c1"), buy("u1", "p1", 5.0)])
    assert first.batch_id.startswith("b_") and len(first.batch_id) == 18
    second = service.ingest_events([event("page", anonymousId="c2", userId="u1")], "b_mine")
    assert second.batch_id == "b_mine"
    crm_id = crm(
        service,
        [
            {
                "crm_id": "C1",
                "email": "a@x.io",
                "first_name": "Anna",
                "ads": "yes",
                "updated": "2025-03-01T00:00:00Z",
            }
        ],
    )
    batches = {b.batch_id: b for b in service.lifecycle.batches(None, 100)}
    assert set(batches) == {first.batch_id, "b_mine", crm_id}
    b1 = batches[first.batch_id]
    assert b1.sources == ["segment:identify", "segment:track"]
    assert (b1.links, b1.link_evidence, b1.activity, b1.amount, b1.identifiers) == (1, 1, 1, 5.0, 2)
    assert (batches["b_mine"].links, batches["b_mine"].identifiers) == (1, 1)
    c = batches[crm_id]
    assert (c.sources, c.records, c.consent, c.identifiers) == (["crm"], 1, 1, 2)
    assert [b.batch_id for b in service.lifecycle.batches("crm", 100)] == [crm_id]
    # A replay writes no provenance.
    service.ingest_events([login("u1", "c1")])
    assert service.lifecycle.batches("segment:identify", 100)[0].links == 1


def test_one_ingest_run_shares_one_batch_id_across_commits(service: IdentityService) -> None:
    rows = [
        {
            "crm_id": f"C{i}",
            "email": f"c{i}@x.io",
            "first_name": "A",
            "ads": "",
            "updated": "2025-03-01T00:00:00Z",
        }
        for i in range(5)
    ]
    items = [(i + 1, row, 0) for i, row in enumerate(rows)]
    report = service.ingest_stream(items, service.record_parser(CRM), batch_size=2)
    assert report.batches == 3
    (only,) = service.lifecycle.batches(None, 10)
    assert only.batch_id == report.summary.batch_id and only.records == 5


def test_provenance_rows_page_by_batch_and_go_with_their_identifier(store: GraphStore) -> None:
    at = "2025-03-01T00:00:00.000000Z"
    rows = [
        ProvenanceRow("b1", "link", "s", "cookie:a", "cookie:b", 2, 0.0, at),
        ProvenanceRow("b1", "identifier", "s", "cookie:a", "", 1, 0.0, at),
        ProvenanceRow("b1", "record", "crm", "cookie:c", "R1", 1, 0.0, at),
        ProvenanceRow("b2", "link", "s", "cookie:a", "cookie:b", 1, 0.0, at),
    ]
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=at, provenance=rows))
        tx.apply(ChangeSet(at=at, provenance=[rows[0]]))  # the same row again: counts add
    first = reads(store).provenance("b1", None, 2)
    rest = reads(store).provenance("b1", first[-1].pk, 2)
    assert [r.kind for r in first + rest] == ["identifier", "link", "record"]
    assert first[1].count == 4
    assert reads(store).provenance("b1", rest[-1].pk, 2) == []
    assert [r.batch_id for r in reads(store).provenance_of([("link", "cookie:a", "cookie:b")])] == [
        "b1",
        "b2",
    ]
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=at, delete_provenance=[rows[2].pk]))
    assert [r.kind for r in reads(store).provenance("b1", None, 10)] == ["identifier", "link"]
    # Erasure relies on it: deleting an identifier leaves no provenance row naming it.
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=at, hub_states=[HubStateRow("cookie:b", "released", "r", at, "x")]))
        tx.apply(ChangeSet(at=at, delete_identifiers=["cookie:b"]))
    assert [r.kind for r in reads(store).provenance("b1", None, 10)] == ["identifier"]
    assert reads(store).provenance("b2", None, 10) == []
    assert reads(store).hub_states(["cookie:b"]) == {}


def test_provenance_and_hub_states_copy_count_and_reset(store: GraphStore) -> None:
    at = "2025-03-01T00:00:00.000000Z"
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=at,
                provenance=[
                    ProvenanceRow(
                        "b1", "consent", "crm", "cookie:a", consent_other("ads", at), 1, 0.0, at
                    )
                ],
                hub_states=[HubStateRow("cookie:h", "confirmed", "shared", at, STEWARD)],
            )
        )
    prov, hubs = scan(store, "provenance"), scan(store, "hub_states")
    assert [p["kind"] for p in prov] == ["consent"]
    assert hubs == [
        {"key": "cookie:h", "state": "confirmed", "reason": "shared", "at": at, "actor": STEWARD}
    ]
    counts = reads(store).row_counts()
    assert (counts["provenance"], counts["hub_states"]) == (1, 1)
    store.reset()
    assert reads(store).row_counts()["provenance"] == 0
    with store.unit_of_work() as tx:
        tx.import_rows("provenance", prov)
        tx.import_rows("provenance", prov)  # idempotent
        tx.import_rows("hub_states", hubs)
    assert scan(store, "provenance") == prov and scan(store, "hub_states") == hubs


def test_activity_subtracts_and_records_and_consent_delete(service: IdentityService) -> None:
    service.ingest_events([buy("u1", "p1", 5.0), buy("u1", "p1", 5.0)])
    crm(
        service,
        [
            {
                "crm_id": "C1",
                "email": "a@x.io",
                "first_name": "Anna",
                "ads": "no",
                "updated": "2025-03-01T00:00:00Z",
            }
        ],
    )
    day = reads(service.store).activity(["customer_id:u1"])[0].day
    at = "2025-03-05T00:00:00.000000Z"
    one = ActivityRow("customer_id:u1", "PURCHASED", "Product", "p1", day, 1, at, at, 5.0)
    with service.store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=at, subtract_activity=[one]))
    (left,) = reads(service.store).activity(["customer_id:u1"])
    assert (left.count, left.amount) == (1, 5.0)
    with service.store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=at,
                subtract_activity=[one],
                delete_records=[("crm", "C1")],
                delete_consent=[("crm_id:C1", "ad_personalization")],
            )
        )
    assert reads(service.store).activity(["customer_id:u1"]) == []
    assert reads(service.store).records(["crm_id:C1"]) == []
    assert reads(service.store).consent(["crm_id:C1"]) == []


# -- removal -------------------------------------------------------------------------------


def test_removing_a_link_splits_the_person_with_lineage(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1", email="a@x.io")])
    service.ingest_events([event("page", anonymousId="c2", userId="u1")])
    pid = person_of(service, "customer_id:u1")
    result = service.lifecycle.remove(
        link=["cookie:c2", "customer_id:u1"], by=STEWARD, reason="a stranger's userId"
    )
    assert result.removed.links_deleted == 1 and result.removed.provenance_removed == 1
    assert result.persons.kept == [pid]
    (created,) = result.persons.created
    assert created.split_from == pid and person_of(service, "cookie:c2") == created.person_id
    assert person_of(service, "cookie:c1") == pid
    assert (created.person_id, pid, "SPLIT_FROM", "a link was removed") in lineage(service.store)
    (row,) = reads(service.store).audit()
    detail = json.loads(row.detail)
    assert (row.action, row.actor, row.subject) == (
        "evidence.remove_link",
        STEWARD,
        "cookie:c2 <-> customer_id:u1",
    )
    assert detail["reason"] == "a stranger's userId"
    assert set(detail["persons"]) == {pid, created.person_id}
    assert detail["identifiers"] == ["cookie:c2", "customer_id:u1"]
    assert sorted(detail["before"]["persons"][pid]) == [
        "cookie:c1",
        "cookie:c2",
        "customer_id:u1",
        "email:a@x.io",
    ]
    assert detail["after"]["persons"][created.person_id] == ["cookie:c2"]
    with pytest.raises(NotFoundError, match=r"^link"):
        service.lifecycle.remove(link=["cookie:c2", "customer_id:u1"], by=STEWARD, reason="again")


def test_removing_an_identifier_takes_its_evidence_and_it_may_come_back(
    service: IdentityService,
) -> None:
    service.ingest_events([login("u1", "c1"), event("page", anonymousId="c1", device="D1")])
    service.ingest_events([buy("u1", "p1", 3.0)])
    pid = person_of(service, "cookie:c1")
    result = service.lifecycle.remove(identifier="cookie:c1", by=STEWARD, reason="shared tablet")
    assert result.removed.identifiers_deleted == 1 and result.removed.links_deleted == 2
    assert reads(service.store).identifiers(["cookie:c1"]) == {}
    assert {person_of(service, "customer_id:u1"), person_of(service, "device_id:D1")} >= {pid}
    assert person_of(service, "customer_id:u1") != person_of(service, "device_id:D1")
    assert reads(service.store).activity(["customer_id:u1"])  # its own activity stays
    assert not [
        p for p in scan(service.store, "provenance") if "cookie:c1" in (p["key"], p["other"])
    ]
    service.ingest_events([login("u1", "c1")])  # no tombstone: it may come back
    assert person_of(service, "cookie:c1") == person_of(service, "customer_id:u1")
    with pytest.raises(NotFoundError, match=r"^identifier"):
        service.lifecycle.remove(identifier="cookie:nobody", by=STEWARD, reason="x")


def test_removing_a_batch_subtracts_exactly_its_evidence(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), buy("u1", "p1", 5.0)], "b_good")
    service.ingest_events(
        [login("u1", "c1"), event("page", anonymousId="c9", userId="u1"), buy("u1", "p1", 7.0)],
        "b_bad",
    )
    pid = person_of(service, "customer_id:u1")
    result = service.lifecycle.remove(batch="b_bad", by=STEWARD, reason="bad import")
    r = result.removed
    assert (r.links_deleted, r.links_updated, r.activity_subtracted) == (1, 1, 1)
    assert r.identifiers_deleted == 1  # cookie:c9: created by the batch, no evidence left
    assert reads(service.store).identifiers(["cookie:c9"]) == {}
    (link,) = reads(service.store).links(["cookie:c1"])
    assert (link.count, link.sources) == (1, ["segment:identify"])
    (act,) = reads(service.store).activity(["customer_id:u1"])
    assert (act.count, act.amount) == (1, 5.0)
    assert person_of(service, "cookie:c1") == pid and result.persons.kept == [pid]
    assert [b.batch_id for b in service.lifecycle.batches(None, 10)] == ["b_good"]
    assert reads(service.store).audit()[0].subject == "batch:b_bad"
    with pytest.raises(NotFoundError, match=r"^batch"):
        service.lifecycle.remove(batch="b_bad", by=STEWARD, reason="again")


def test_removing_a_batch_in_chunks_and_running_it_again_finishes(
    service: IdentityService,
) -> None:
    from identity_graph.lifecycle.remove import remove_batch

    service.ingest_events([login(f"u{i}", f"c{i}") for i in range(7)], "b_x")
    out = remove_batch(service.store, service.settings, "b_x", STEWARD, "chunks", chunk=3)
    assert out.links_deleted == 7 and out.identifiers_deleted == 14
    assert service.stats().identifiers == 0
    assert sorted(out.final_persons()[2]) == sorted(out.persons.deleted)


def test_a_crashed_removal_is_finished_by_running_it_again(
    service: IdentityService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from identity_graph.lifecycle import remove as rm

    service.ingest_events([login(f"u{i}", f"c{i}") for i in range(6)], "b_x")
    real = rm._subtract
    calls = {"n": 0}

    def crash_second(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("crash mid-removal")
        real(*args, **kwargs)

    monkeypatch.setattr(rm, "_subtract", crash_second)
    with pytest.raises(RuntimeError):
        rm.remove_batch(service.store, service.settings, "b_x", STEWARD, "r", chunk=4)
    monkeypatch.setattr(rm, "_subtract", real)
    assert 0 < service.stats().links < 6  # the chunks before the crash are committed
    rm.remove_batch(service.store, service.settings, "b_x", STEWARD, "r", chunk=4)
    assert service.stats().links == 0 and service.stats().identifiers == 0
    assert service.lifecycle.batches(None, 10) == []


def test_removing_a_source_takes_its_links_records_and_consent(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1", email="a@x.io")])
    crm(
        service,
        [
            {
                "crm_id": "C1",
                "email": "a@x.io",
                "first_name": "Anna",
                "ads": "no",
                "updated": "2025-03-01T00:00:00Z",
            },
            {
                "crm_id": "C2",
                "email": "b@x.io",
                "first_name": "Bo",
                "ads": "yes",
                "updated": "2025-03-01T00:00:00Z",
            },
        ],
    )
    pid = person_of(service, "customer_id:u1")
    assert person_of(service, "crm_id:C1") == pid
    result = service.lifecycle.remove(source="crm", by=STEWARD, reason="bad CRM import")
    r = result.removed
    assert (r.links_deleted, r.records_deleted, r.consent_deleted) == (2, 2, 2)
    # crm_id:C1/C2 and email:b@x.io had nothing else; email:a@x.io has the events' links.
    assert r.identifiers_deleted == 3
    assert reads(service.store).identifiers(["crm_id:C1", "crm_id:C2", "email:b@x.io"]) == {}
    assert person_of(service, "email:a@x.io") == pid
    assert reads(service.store).records(["crm_id:C1"]) == []
    assert service.lifecycle.batches("crm", 10) == []
    with pytest.raises(NotFoundError, match=r"^source"):
        service.lifecycle.remove(source="crm", by=STEWARD, reason="again")


def test_a_source_shared_with_other_evidence_leaves_the_links_sources(
    service: IdentityService,
) -> None:
    service.ingest_events([login("u1", "c1")])
    service.ingest_events([event("track", userId="u1", anonymousId="c1", event="X")])
    service.lifecycle.remove(source="segment:track", by=STEWARD, reason="noisy")
    (link,) = reads(service.store).links(["cookie:c1"])
    assert (link.sources, link.count) == (["segment:identify"], 1)


# -- merge and split ------------------------------------------------------------------------


def test_steward_merge_writes_a_must_link_and_lineage(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), login("u2", "c2")])
    p1, p2 = person_of(service, "customer_id:u1"), person_of(service, "customer_id:u2")
    result = service.lifecycle.merge([p1, p2], STEWARD, "same customer, two logins")
    assert {result.person_id, *result.merged} == {p1, p2}
    assert result.link == ["customer_id:u1", "customer_id:u2"]  # exempt from type limits
    (lin,) = result.lineage
    assert (lin.kind, lin.to_id, lin.reason) == (
        "MERGED_INTO",
        result.person_id,
        "same customer, two logins",
    )
    assert person_of(service, "customer_id:u1") == person_of(service, "customer_id:u2")
    assert service.person(result.merged[0]).person_id == result.person_id
    (link,) = reads(service.store).links(["customer_id:u2"])[-1:]
    assert (link.kind, link.status) == ("steward", "active")
    audit = reads(service.store).audit()[0]
    assert (audit.action, audit.subject) == ("person.merge", f"person:{result.person_id}")
    with pytest.raises(ConflictError, match=r"^persons"):
        service.lifecycle.merge([p1, p2], STEWARD, "again")
    with pytest.raises(NotFoundError, match=r"^persons\[1\]"):
        service.lifecycle.merge([p1, "nobody"], STEWARD, "x")


def test_split_writes_cannot_links_that_hold_in_later_ingest_and_merges(
    service: IdentityService,
) -> None:
    service.ingest_events(
        [
            login("u1", "tablet"),
            event("page", anonymousId="tablet", email="kid@x.io"),
            event("page", anonymousId="kid-phone", email="kid@x.io"),
        ]
    )
    pid = person_of(service, "customer_id:u1")
    result = service.lifecycle.split(
        pid, [["email:kid@x.io"], ["customer_id:u1", "cookie:tablet"]], STEWARD, "family tablet"
    )
    assert result.cannot_links == 1 and result.person_id == pid
    assert [g.identifiers for g in result.groups] == [2, 2]  # cookie:kid-phone unnamed: group 1
    assert not any(g.fell_apart for g in result.groups)
    kid = person_of(service, "email:kid@x.io")
    assert kid != person_of(service, "customer_id:u1")
    assert person_of(service, "cookie:kid-phone") == kid
    assert pid in (kid, person_of(service, "customer_id:u1"))  # the ID stays on one piece
    (created,) = result.persons.created
    assert created.split_from == pid
    assert (created.person_id, pid, "SPLIT_FROM", "family tablet") in lineage(service.store)
    (cut,) = [
        lk for lk in reads(service.store).links(["email:kid@x.io"]) if lk.a == "cookie:tablet"
    ]
    assert (cut.status, cut.kind) == ("cannot_link", "steward")
    assert reads(service.store).audit()[0].action == "person.split"
    # Later evidence joining the groups is refused; so is a steward merge.
    summary = service.ingest_events([event("page", anonymousId="tablet", email="kid@x.io")])
    assert summary.merges == 0
    summary = service.ingest_events([event("page", userId="u1", email="kid@x.io")])
    assert summary.merges == 0 and summary.merges_refused == 1
    assert person_of(service, "email:kid@x.io") == kid
    adult = person_of(service, "customer_id:u1")
    with pytest.raises(ConflictError, match="cannot-link"):
        service.lifecycle.merge([adult, kid], STEWARD, "undo")
    with pytest.raises(InvalidField) as info:
        service.lifecycle.split(adult, [["customer_id:u1"], ["email:nobody@x.io"]], STEWARD, "x")
    assert info.value.field == "groups[1][0]"
    with pytest.raises(InvalidField) as info:
        service.lifecycle.split(adult, [["customer_id:u1"], ["customer_id:u1"]], STEWARD, "x")
    assert info.value.field == "groups[1][0]"


def test_a_merge_lifting_the_cannot_links_undoes_a_split(service: IdentityService) -> None:
    service.ingest_events([login("u1", "tablet", email="kid@x.io")])
    pid = person_of(service, "customer_id:u1")
    service.lifecycle.split(pid, [["customer_id:u1"], ["email:kid@x.io"]], STEWARD, "oops")
    adult, kid = person_of(service, "customer_id:u1"), person_of(service, "email:kid@x.io")
    assert adult != kid
    undone = service.lifecycle.merge(
        [kid, adult], STEWARD, "the split was a mistake", lift_cannot_links=True
    )
    # The cookie went with the first group: both its and the login's link to the email.
    assert undone.lifted_cannot_links == 2 and undone.person_id == pid
    assert {
        person_of(service, k) for k in ("customer_id:u1", "email:kid@x.io", "cookie:tablet")
    } == {pid}
    links = reads(service.store).links(["email:kid@x.io"])
    assert all(lk.status == "active" for lk in links)  # the evidence is back, not deleted
    audit = reads(service.store).audit()[0]
    detail = json.loads(audit.detail)
    assert audit.action == "person.merge"
    assert sorted(detail["after"]["lifted_cannot_links"]) == [
        "cookie:tablet <-> email:kid@x.io",
        "customer_id:u1 <-> email:kid@x.io",
    ]
    # Nothing is left keeping them apart: later evidence between them merges nothing new.
    assert (
        service.ingest_events([login("u1", "tablet", email="kid@x.io", messageId="m2")]).merges == 0
    )


# -- hubs ------------------------------------------------------------------------------------


def _hub(service: IdentityService) -> list[str]:
    customers = [f"u{i}" for i in range(6)]
    service.ingest_events([login(u, f"own-{u}", email=f"{u}@mail.example") for u in customers])
    service.ingest_events([login(u, "agent-desk-7") for u in customers])
    return customers


def test_hubs_list_the_persons_they_touch_consistently_with_their_reason(
    service: IdentityService,
) -> None:
    _hub(service)
    (hub,) = service.lifecycle.hubs(10)
    assert (hub.key, hub.status) == ("cookie:agent-desk-7", "flagged")
    assert hub.person_id == hub.persons[0]
    assert hub.reason.startswith(f"its links join {len(hub.persons)} persons")
    assert len(set(hub.persons)) == len(hub.persons) > service.settings.hub_limit
    confirmed = service.lifecycle.confirm_hub("cookie:agent-desk-7", STEWARD, "call centre")
    assert confirmed.status == "confirmed"
    assert service.lifecycle.hubs(10)[0].status == "confirmed"
    assert reads(service.store).audit()[0].action == "hub.confirm"
    with pytest.raises(ConflictError, match=r"^key"):
        service.lifecycle.confirm_hub("cookie:own-u1", STEWARD, "no hub")


def test_a_released_hub_stitches_again_under_merge_rules_and_is_never_flagged_again(
    settings: Settings, store: GraphStore
) -> None:
    service = IdentityService(store, settings.model_copy(update={"hub_limit": 2}))
    service.ingest_events([login("a", "own-a"), login("b", "own-b")])
    service.ingest_events(
        [
            event("page", anonymousId="tablet", email="a@x.io"),
            login("a", "tablet"),
            login("b", "tablet"),
        ]
    )
    service.ingest_events(
        [
            event("page", anonymousId="tablet", email="z@x.io"),
            event("page", anonymousId="own-z", email="z@x.io"),
        ]
    )
    hubs = [h.key for h in service.lifecycle.hubs(10)]
    assert hubs == ["cookie:tablet"]
    result = service.lifecycle.release_hub("cookie:tablet", STEWARD, "one family")
    # customer_id a and b may not be one person (type limit): one of them is refused.
    assert result.merges_refused >= 1
    assert service.lifecycle.hubs(10) == []
    assert person_of(service, "email:z@x.io") == person_of(service, "cookie:tablet")
    assert person_of(service, "customer_id:a") != person_of(service, "customer_id:b")
    service.ingest_events([login(u, "tablet") for u in ("c", "d", "e")])
    assert service.lifecycle.hubs(10) == []  # never flagged again
    assert reads(service.store).hub_states(["cookie:tablet"])["cookie:tablet"].state == "released"


def test_a_steward_must_link_stitches_through_a_hub(service: IdentityService) -> None:
    from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
    from identity_graph.graph.links import LinkEvidence

    _hub(service)
    at = "2025-03-02T00:00:00.000000Z"
    pair = ("cookie:agent-desk-7", "customer_id:u1")
    with service.store.unit_of_work() as tx:
        must = LinkEvidence(*pair, 1.0, "steward", "steward", 1, at, at, "{}")
        commit_changes(
            tx,
            service.settings,
            Evidence(links=[must], at=at),
            BatchSummary(),
            authoritative=frozenset({pair}),
        )
    assert person_of(service, pair[0]) == person_of(service, pair[1])
    (hub,) = service.lifecycle.hubs(10)  # a steward link never makes or breaks a hub
    assert hub.key == pair[0]
    # Re-clustering keeps it: a removal elsewhere in the person does not undo the must-link.
    service.lifecycle.remove(identifier="email:u1@mail.example", by=STEWARD, reason="x")
    assert person_of(service, pair[0]) == person_of(service, pair[1])
    assert person_of(service, "customer_id:u2") != person_of(service, pair[0])
