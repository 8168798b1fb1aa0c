"""The store contract: every behaviour here holds on every GraphStore backend.

Tests go through the service (what users rely on) and, for transactions, through the
protocol directly. The `store` fixture parametrizes over every backend.
"""

from __future__ import annotations

import pytest

from identity_graph.config import Settings
from identity_graph.errors import BatchRejected, NotFoundError
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, NewIdentifierRow, Person
from tests.helpers import all_assignments, event, login, members, person_links, person_of, reads


def test_identifiers_seen_together_become_one_person(service: IdentityService) -> None:
    service.ingest_events(
        [login("u1", "c1", email="Anna@Example.com"), event("page", anonymousId="c2")]
    )
    p = service.person_by_identifier("email", " ANNA@example.com ")
    assert {i.key for i in p.identifiers} == {
        "customer_id:u1",
        "cookie:c1",
        "email:anna@example.com",
    }
    other = service.person_by_identifier("cookie", "c2")
    assert other.person_id != p.person_id


def test_repeated_evidence_raises_count_not_links(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1", ts="2025-01-01T00:00:00Z")])
    service.ingest_events(
        [login("u1", "c1", ts="2025-02-01T00:00:00Z"), login("u1", "c1", ts="2025-01-15T00:00:00Z")]
    )
    pid = person_of(service, "cookie:c1")
    links = person_links(service, pid)
    assert len(links) == 1
    link = links[0]
    assert (link.a, link.b) == ("cookie:c1", "customer_id:u1")
    assert link.count == 3
    assert link.weight == 1.0 and link.kind == "deterministic"
    assert link.sources == ["segment:identify"]
    assert link.first_seen is not None and link.first_seen.isoformat().startswith("2025-01-01")
    assert link.last_seen is not None and link.last_seen.isoformat().startswith("2025-02-01")
    ident = {i.key: i for i in members(service, pid)}["cookie:c1"]
    assert ident.first_seen is not None and ident.first_seen.month == 1
    assert ident.last_seen is not None and ident.last_seen.month == 2


def test_link_sources_accumulate(service: IdentityService) -> None:
    service.ingest_events(
        [login("u1", "c1"), event("track", userId="u1", anonymousId="c1", event="X")]
    )
    (link,) = person_links(service, person_of(service, "cookie:c1"))
    assert sorted(link.sources) == ["segment:identify", "segment:track"]


def test_replayed_message_ids_change_nothing(service: IdentityService) -> None:
    batch = [
        login("u1", "c1"),
        event("track", userId="u1", event="Product Viewed", properties={"product_id": "p1"}),
    ]
    first = service.ingest_events(batch)
    before = service.stats()
    again = service.ingest_events(batch)
    assert first.replayed == 0 and again.replayed == 2
    assert service.stats() == before
    (link,) = person_links(service, person_of(service, "cookie:c1"))
    assert link.count == 1
    assert service.person_by_identifier("customer_id", "u1").activity.products_viewed == 1


def test_a_bad_item_rejects_the_whole_batch(service: IdentityService) -> None:
    batch = [login("u1", "c1"), login("u2", "c2", email="broken@"), event("page")]
    with pytest.raises(BatchRejected) as info:
        service.ingest_events(batch)
    assert [(e.position, e.field) for e in info.value.errors] == [
        (1, "traits.email"),
        (2, "userId"),
    ]
    assert service.stats().identifiers == 0


def test_a_failing_transaction_leaves_nothing_behind(store: GraphStore) -> None:
    with pytest.raises(RuntimeError), store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                new_identifiers=[
                    NewIdentifierRow(
                        "cookie:x",
                        "cookie",
                        "x",
                        "2025-01-01T00:00:00.000000Z",
                        "2025-01-01T00:00:00.000000Z",
                        "p1",
                    )
                ],
                persons=[
                    Person("p1", "2025-01-01T00:00:00.000000Z", "2025-01-01T00:00:00.000000Z")
                ],
                at="2025-01-01T00:00:00.000000Z",
            )
        )
        assert tx.identifiers(["cookie:x"])["cookie:x"].person_id == "p1"
        raise RuntimeError("crash mid-batch")
    assert reads(store).identifiers(["cookie:x"]) == {}
    assert reads(store).persons(["p1"]) == {}


def test_merge_keeps_the_larger_persons_id_and_old_ids_resolve(service: IdentityService) -> None:
    service.ingest_events(
        [login("u1", "c1"), event("page", anonymousId="c1", device="d1", email="a@x.io")]
    )
    service.ingest_events([event("page", anonymousId="c9")])
    big = person_of(service, "customer_id:u1")
    small = person_of(service, "cookie:c9")
    summary = service.ingest_events([event("page", anonymousId="c9", userId="u1")])
    assert summary.merges == 1
    assert person_of(service, "cookie:c9") == big
    moved = service.person(small)
    assert moved.person_id == big and moved.redirected_from == small
    assert "cookie:c9" in {i.key for i in moved.identifiers}


def test_merge_chains_resolve_to_the_current_person(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), event("page", anonymousId="c1", email="a@x.io")])
    service.ingest_events([event("page", anonymousId="c2")])
    c2 = person_of(service, "cookie:c2")
    service.ingest_events([event("page", anonymousId="c2", device="d2")])
    service.ingest_events([event("page", anonymousId="c3", device="d2", email="b@x.io")])
    service.ingest_events([event("page", anonymousId="c3", userId="u1")])
    assert service.person(c2).person_id == person_of(service, "customer_id:u1")


def test_type_limit_refuses_merge_and_records_why(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), login("u2", "c2")])
    summary = service.ingest_events([event("page", anonymousId="c1", userId="u2")])
    assert summary.merges_refused == 1 and summary.merges == 0
    assert person_of(service, "customer_id:u1") != person_of(service, "customer_id:u2")
    (refused,) = reads(service.store).refused_merges()
    assert refused.rule == "type_limit:customer_id"
    assert "limit 1" in refused.reason
    assert {refused.person_a, refused.person_b} == {
        person_of(service, "customer_id:u1"),
        person_of(service, "customer_id:u2"),
    }
    # the evidence is kept, marked refused, and repeating it records nothing new
    links = person_links(service, person_of(service, "cookie:c1"))
    assert [(lk.a, lk.b, lk.status) for lk in links] == [("cookie:c1", "customer_id:u1", "active")]
    service.ingest_events([event("page", anonymousId="c1", userId="u2")])
    assert len(reads(service.store).refused_merges()) == 1


def test_call_centre_cookie_becomes_a_hub_and_stops_stitching(service: IdentityService) -> None:
    customers = [f"u{i}" for i in range(6)]
    service.ingest_events([login(u, f"own-{u}", email=f"{u}@mail.example") for u in customers])
    service.ingest_events([login(u, "agent-desk-7") for u in customers])
    hubs = reads(service.store).hubs()
    assert [h.key for h in hubs] == ["cookie:agent-desk-7"]
    assert hubs[0].is_hub and hubs[0].hub_reason and "hub limit" in hubs[0].hub_reason
    persons = {person_of(service, f"customer_id:{u}") for u in customers}
    assert len(persons) == len(customers)
    hub_person = service.person_by_identifier("cookie", "agent-desk-7")
    assert [i.key for i in hub_person.identifiers] == ["cookie:agent-desk-7"]


def test_hub_found_after_merges_splits_the_person_with_lineage(
    settings: Settings, store: GraphStore
) -> None:
    service = IdentityService(
        store, settings.model_copy(update={"type_limits": {}, "hub_limit": 2})
    )
    service.ingest_events([login(u, f"own-{u}") for u in ("a", "b", "c")])
    first = person_of(service, "customer_id:a")
    service.ingest_events([login("a", "tablet"), login("b", "tablet")])
    assert person_of(service, "customer_id:b") == first  # two persons may share a device
    summary = service.ingest_events([login("c", "tablet")])
    assert summary.hubs_flagged == 1 and summary.splits >= 1
    assert len({person_of(service, f"customer_id:{u}") for u in "abc"}) == 3
    assert (
        person_of(service, "customer_id:a") == first or person_of(service, "customer_id:b") == first
    )


def test_activity_hangs_off_identifiers_and_sums_per_person(service: IdentityService) -> None:
    service.ingest_events(
        [
            login("u1", "c1"),
            event(
                "track",
                userId="u1",
                event="Order Completed",
                properties={"products": [{"product_id": "p1", "price": 9.5, "quantity": 2}]},
            ),
            event(
                "track",
                anonymousId="c1",
                event="Promotion Viewed",
                properties={"campaign_id": "spring"},
            ),
            event(
                "track",
                anonymousId="c1",
                event="Promotion Viewed",
                properties={"campaign_id": "spring"},
            ),
            event("track", userId="u1", event="Case Opened", properties={"case_id": "k1"}),
            event("track", userId="u1", event="Case Opened", properties={"case_id": "k2"}),
            event("track", userId="u1", event="Case Closed", properties={"case_id": "k1"}),
        ]
    )
    act = service.person_by_identifier("cookie", "c1").activity
    assert act.purchases == 1 and act.purchase_amount == 19.0 and act.products_bought == ["p1"]
    assert act.exposures == {"spring": 2}
    assert act.open_cases == ["k2"]
    assert act.last_activity_at is not None


def test_placeholder_values_never_become_nodes(service: IdentityService) -> None:
    s = service.ingest_events(
        [
            event("screen", anonymousId="c1", ad_id="00000000-0000-0000-0000-000000000000"),
            event("identify", anonymousId="c2", email="test@test.com"),
            event("identify", anonymousId="c3", email="unknown"),
        ]
    )
    assert s.placeholders_dropped == 3
    assert service.stats().identifiers == 3
    assert service.stats().links == 0


def test_unknown_ids_are_not_found(service: IdentityService) -> None:
    with pytest.raises(NotFoundError, match="no person"):
        service.person("nope")
    with pytest.raises(NotFoundError, match="no identifier"):
        service.person_by_identifier("email", "who@where.org")
    with pytest.raises(NotFoundError, match="placeholder"):
        service.person_by_identifier("email", "test@test.com")


def test_stats_and_assignments_cover_the_graph(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1"), event("page", anonymousId="c2")])
    s = service.stats()
    assert (s.identifiers, s.links, s.persons) == (3, 1, 2)
    got = all_assignments(service.store)
    assert got["cookie:c1"] == got["customer_id:u1"] != got["cookie:c2"]


def test_reset_empties_the_store(service: IdentityService) -> None:
    service.ingest_events([login("u1", "c1")])
    service.store.reset()
    assert service.stats().identifiers == 0
    service.ingest_events([login("u1", "c1")])  # replay protection was reset too
    assert service.stats().identifiers == 2


def test_cannot_link_keeps_persons_apart_on_later_evidence(service: IdentityService) -> None:
    from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
    from identity_graph.graph.links import LinkEvidence

    service.ingest_events([login("u1", "c1"), event("page", anonymousId="c2", email="b@x.io")])
    at = "2025-03-02T00:00:00.000000Z"
    with service.store.unit_of_work() as tx:
        cannot = LinkEvidence(
            "cookie:c1",
            "email:b@x.io",
            0.0,
            "steward",
            "steward",
            1,
            at,
            at,
            '{"decision": "reject"}',
            status="cannot_link",
        )
        commit_changes(tx, service.settings, Evidence(links=[cannot], at=at), BatchSummary())
    summary = service.ingest_events([event("page", anonymousId="c2", userId="u1")])
    assert summary.merges == 0 and summary.merges_refused == 1
    assert person_of(service, "cookie:c2") != person_of(service, "customer_id:u1")
    assert reads(service.store).refused_merges()[0].rule == "cannot_link"


def test_activity_is_bucketed_by_utc_day(service: IdentityService) -> None:
    def view(ts: str) -> dict[str, object]:
        return event(
            "track", ts=ts, userId="u1", event="Product Viewed", properties={"product_id": "p1"}
        )

    # 23:30 at UTC-2 is the next UTC day.
    service.ingest_events([view("2025-03-01T10:00:00Z"), view("2025-03-01T23:59:59Z")])
    service.ingest_events([view("2025-03-01T23:30:00-02:00"), view("2025-03-01T05:00:00Z")])
    items = reads(service.store).activity(["customer_id:u1"])
    assert [(i.target_id, i.day, i.count) for i in items] == [
        ("p1", "2025-03-01", 3),
        ("p1", "2025-03-02", 1),
    ]
    assert items[0].first_at is not None and items[0].first_at.hour == 5
    assert items[0].last_at is not None and items[0].last_at.hour == 23
    assert service.person_by_identifier("customer_id", "u1").activity.products_viewed == 4


def test_consent_signals_from_events_newest_wins(service: IdentityService) -> None:
    def consent(ts: str, granted: object, **ids: str) -> dict[str, object]:
        ev = event("page" if "userId" not in ids else "identify", ts=ts, **ids)
        ev["context"] = {"consent": {"categoryPreferences": {"Advertising": granted}}}
        return ev

    service.ingest_events(
        [
            consent("2025-03-02T00:00:00Z", True, userId="u1", anonymousId="c1"),
            consent("2025-03-01T00:00:00Z", False, userId="u1", anonymousId="c1"),
            consent("2025-03-01T00:00:00Z", True, anonymousId="c2"),
        ]
    )
    service.ingest_events([consent("2025-03-01T00:00:00Z", False, anonymousId="c2")])  # a tie
    got = reads(service.store).consent(["customer_id:u1", "cookie:c1", "cookie:c2"])
    assert [(c.identifier, c.purpose, c.granted, c.source) for c in got] == [
        ("cookie:c2", "ad_personalization", False, "segment:page"),
        ("customer_id:u1", "ad_personalization", True, "segment:identify"),
    ]
    assert service.stats().consent == 2
    with pytest.raises(BatchRejected) as info:
        service.ingest_events([consent("2025-03-03T00:00:00Z", "no", anonymousId="c2")])
    assert [(e.field, e.reason) for e in info.value.errors] == [
        ("context.consent.categoryPreferences.Advertising", "must be true or false")
    ]


def test_ping_answers_while_the_store_does_and_raises_store_error_after(
    store: GraphStore,
) -> None:
    """What /readyz asks: a trivial read, or a `StoreError` once the store is gone."""
    from identity_graph.errors import StoreError

    assert store.ping() is None
    store.close()
    with pytest.raises(StoreError):
        store.ping()
