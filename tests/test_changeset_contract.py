"""ChangeSet -> state, on every store: each field of a ChangeSet applied, then read back
through the read protocol (a `reader()` snapshot, and the transaction's own reads)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from identity_graph.graph.commit import resolve_merges
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import (
    ActivityRow,
    ApiKeyRow,
    AuditRow,
    ChangeSet,
    ConsentRow,
    DestinationRow,
    HubRow,
    IdentifierRow,
    LedgerRow,
    LineageRow,
    LinkRow,
    ModelRow,
    NewIdentifierRow,
    Person,
    RecordRow,
    RefusedMergeRow,
    ReviewRow,
    SegmentRow,
    TombstoneRow,
    tombstone_digest,
)
from tests.helpers import all_assignments, reads

T0 = "2025-01-01T00:00:00.000000Z"
T1 = "2025-02-01T00:00:00.000000Z"
T2 = "2025-03-01T00:00:00.000000Z"


def _apply(store: GraphStore, **fields: object) -> None:
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=fields.pop("at", T1), **fields))  # type: ignore[arg-type]


def _new(key: str, person: str) -> NewIdentifierRow:
    type_, _, value = key.partition(":")
    return NewIdentifierRow(key, type_, value, T0, T0, person)


def _link(a: str, b: str, **kw: object) -> LinkRow:
    values: dict[str, object] = {
        "weight": 1.0,
        "kind": "deterministic",
        "sources": ["web"],
        "evidence": "{}",
        "count": 1,
        "first_seen": T0,
        "last_seen": T0,
        "status": "active",
    }
    values.update(kw)
    return LinkRow(a, b, **values)  # type: ignore[arg-type]


@pytest.fixture
def graph(store: GraphStore) -> Iterator[GraphStore]:
    """p1 = {cookie:a, email:a@x.io}, p2 = {cookie:b}, linked a-email and a-b."""
    _apply(
        store,
        at=T0,
        persons=[Person("p1", T0, T0), Person("p2", T0, T0)],
        new_identifiers=[
            _new("cookie:a", "p1"),
            _new("email:a@x.io", "p1"),
            _new("cookie:b", "p2"),
        ],
        links=[_link("cookie:a", "email:a@x.io"), _link("cookie:a", "cookie:b", weight=0.5)],
    )
    yield store


def test_persons_and_new_identifiers_are_created(graph: GraphStore) -> None:
    r = reads(graph)
    assert r.persons(["p1", "p2", "nobody"]) == {
        "p1": Person("p1", T0, T0, None),
        "p2": Person("p2", T0, T0, None),
    }
    got = r.identifiers(["cookie:a", "email:a@x.io", "cookie:zzz"])
    assert set(got) == {"cookie:a", "email:a@x.io"}
    a = got["cookie:a"]
    assert (a.type, a.value, a.person_id, a.first_seen, a.last_seen) == (
        "cookie",
        "a",
        "p1",
        T0,
        T0,
    )
    assert (a.is_hub, a.hub_reason, a.joined) == (False, None, ())
    members = r.members(["p1", "p2"])
    assert [i.key for i in members["p1"]] == ["cookie:a", "email:a@x.io"]  # by type, value
    assert [i.key for i in members["p2"]] == ["cookie:b"]
    assert r.type_counts(["p1"]) == {"p1": {"cookie": 1, "email": 1}}


def test_an_existing_new_identifier_fails_the_unit_of_work(graph: GraphStore) -> None:
    with pytest.raises(Exception, match=r"(?i)unique|constraint"):
        _apply(graph, new_identifiers=[_new("cookie:a", "p2")])
    assert reads(graph).identifiers(["cookie:a"])["cookie:a"].person_id == "p1"


def test_seen_identifiers_widen_their_range(graph: GraphStore) -> None:
    _apply(
        graph,
        seen_identifiers=[
            IdentifierRow("cookie:a", "cookie", "a", "2024-06-01T00:00:00.000000Z", T2),
            IdentifierRow("cookie:b", "cookie", "b", T0, T0),  # within its range: no change
            IdentifierRow("cookie:nobody", "cookie", "nobody", T1, T1),  # ignored
        ],
    )
    got = reads(graph).identifiers(["cookie:a", "cookie:b", "cookie:nobody"])
    assert (got["cookie:a"].first_seen, got["cookie:a"].last_seen) == (
        "2024-06-01T00:00:00.000000Z",
        T2,
    )
    assert (got["cookie:b"].first_seen, got["cookie:b"].last_seen) == (T0, T0)
    assert "cookie:nobody" not in got


def test_links_are_upserted_as_final_rows(graph: GraphStore) -> None:
    r = reads(graph)
    assert [lk.pair for lk in r.links(["cookie:a"])] == [
        ("cookie:a", "cookie:b"),
        ("cookie:a", "email:a@x.io"),
    ]
    final = _link(
        "cookie:a",
        "email:a@x.io",
        weight=0.97,
        kind="probabilistic",
        sources=["web", "match"],
        evidence='{"x": 1}',
        count=7,
        first_seen="2024-01-01T00:00:00.000000Z",
        last_seen=T2,
        status="refused",
    )
    _apply(graph, links=[final])
    assert r.pair_links([("cookie:a", "email:a@x.io"), ("cookie:b", "email:a@x.io")]) == {
        ("cookie:a", "email:a@x.io"): final
    }
    assert r.person_links(["p1"]) == [final]
    (across,) = r.person_links(["p1", "p2"], across=True)
    assert across.pair == ("cookie:a", "cookie:b") and across.weight == 0.5


def test_merges_redirect_and_move_members_to_the_chain_end(graph: GraphStore) -> None:
    _apply(graph, persons=[Person("p3", T1, T1)], new_identifiers=[_new("cookie:c", "p3")], at=T1)
    _apply(graph, merges=resolve_merges([("p2", "p3"), ("p3", "p1")]), at=T2)
    assert set(all_assignments(graph).values()) == {"p1"}
    persons = reads(graph).persons(["p2", "p3"])
    assert persons["p2"].merged_into == "p3" and persons["p2"].updated_at == T2
    assert persons["p3"].merged_into == "p1"
    assert reads(graph).members(["p2", "p3"]) == {}


def test_assignments_move_identifiers(graph: GraphStore) -> None:
    _apply(graph, assignments={"email:a@x.io": "p2"})
    assert all_assignments(graph) == {"cookie:a": "p1", "email:a@x.io": "p2", "cookie:b": "p2"}


def test_activity_adds_to_stored_totals_per_day(graph: GraphStore) -> None:
    day = "2025-02-01"
    row = ActivityRow("cookie:a", "PURCHASED", "Product", "sku1", day, 1, T1, T1, 9.5)
    _apply(graph, activity=[row])
    later = "2025-02-01T23:00:00.000000Z"
    _apply(
        graph,
        activity=[ActivityRow("cookie:a", "PURCHASED", "Product", "sku1", day, 2, T1, later, 1.0)],
    )
    _apply(
        graph,
        activity=[
            ActivityRow("cookie:a", "PURCHASED", "Product", "sku1", "2025-01-01", 1, T0, T0, 2.0),
            ActivityRow("cookie:b", "EXPOSED_TO", "Campaign", "spring", day, 1, T1, T1, 0),
        ],
    )
    items = reads(graph).activity(["cookie:b", "cookie:a"])
    assert [(i.identifier, i.kind, i.target_id, i.day, i.count, i.amount) for i in items] == [
        ("cookie:a", "PURCHASED", "sku1", "2025-01-01", 1, 2.0),
        ("cookie:a", "PURCHASED", "sku1", day, 3, 10.5),
        ("cookie:b", "EXPOSED_TO", "spring", day, 1, 0.0),
    ]
    assert items[1].first_at is not None and items[1].first_at.isoformat().startswith(day)
    assert items[1].last_at is not None and items[1].last_at.hour == 23
    assert reads(graph).row_counts()["activity"] == 3


def test_consent_keeps_the_newest_signal_and_a_denial_wins_a_tie(graph: GraphStore) -> None:
    def row(key: str, purpose: str, granted: bool, at: str, source: str = "crm") -> ConsentRow:
        return ConsentRow(key, purpose, granted, source, at)

    _apply(
        graph,
        consent=[
            row("cookie:a", "ads", True, T1),
            row("cookie:a", "ads", False, T0),  # older, in the same ChangeSet
            row("cookie:a", "email", True, T1),
            row("cookie:b", "ads", False, T1),
            row("cookie:nobody", "ads", True, T1),  # not stored: ignored
        ],
    )
    _apply(graph, consent=[row("cookie:a", "ads", False, T0, "segment:track")])  # older
    _apply(graph, consent=[row("cookie:a", "email", False, T1, "segment:identify")])  # tie
    _apply(graph, consent=[row("cookie:b", "ads", True, T1)])  # a tie never grants back
    got = reads(graph).consent(["cookie:b", "cookie:a", "cookie:nobody"])
    assert [(c.identifier, c.purpose, c.granted, c.source) for c in got] == [
        ("cookie:a", "ads", True, "crm"),
        ("cookie:a", "email", False, "segment:identify"),
        ("cookie:b", "ads", False, "crm"),
    ]
    assert got[0].at is not None and got[0].at.isoformat().startswith("2025-02-01")
    _apply(graph, consent=[row("cookie:b", "ads", True, T2)])  # newer: granted
    assert [c.granted for c in reads(graph).consent(["cookie:b"])] == [True]
    assert reads(graph).stats().consent == 3
    assert reads(graph).row_counts()["consent"] == 3
    (first, *_) = sorted(reads(graph).scan("consent"), key=lambda r: (r["key"], r["purpose"]))
    assert first == {
        "key": "cookie:a",
        "purpose": "ads",
        "granted": True,
        "source": "crm",
        "at": T1,
    }


def test_records_keep_the_most_recent(graph: GraphStore) -> None:
    _apply(graph, records=[RecordRow("crm", "C1", "email:a@x.io", '{"given_name": "Anna"}', T1)])
    _apply(graph, records=[RecordRow("crm", "C1", "email:a@x.io", '{"given_name": "Old"}', T0)])
    (rec,) = reads(graph).records(["email:a@x.io"])
    assert (rec.source, rec.record_id, rec.attributes) == ("crm", "C1", {"given_name": "Anna"})


def test_appended_rows_read_newest_first(graph: GraphStore) -> None:
    refusal = RefusedMergeRow("cookie:a", "cookie:b", "p1", "p2", "type_limit:x", "why", T1)
    other = RefusedMergeRow("cookie:a", "cookie:b", "p1", "p9", "type_limit:x", "other", T2)
    _apply(
        graph,
        refused_merges=[refusal, other],
        audit=[AuditRow(T1, "eva", "review.approve", "s1", "{}")],
        lineage=[LineageRow("p2", "p1", "SPLIT_FROM", T1, "hub")],
    )
    _apply(graph, audit=[AuditRow(T2, "max", "review.reject", "s2", "{}")])
    r = reads(graph)
    assert [m.reason for m in r.refused_merges()] == ["other", "why"]
    assert [m.reason for m in r.refused_merges(persons=["p1", "p2"])] == ["why"]
    assert [a.actor for a in r.audit()] == ["max", "eva"]
    assert [a.actor for a in r.audit(subject="s1")] == ["eva"]
    (lineage,) = r.scan("lineage")
    assert (lineage["from_id"], lineage["to_id"], lineage["kind"]) == ("p2", "p1", "SPLIT_FROM")


def test_hubs_joined_and_touched_persons(graph: GraphStore) -> None:
    _apply(
        graph,
        hubs=[HubRow("cookie:a", "joins 3 persons")],
        joined={"cookie:a": ("p2", "p7")},
        touched_persons={"p2"},
        at=T2,
    )
    r = reads(graph)
    (hub,) = r.hubs()
    assert (hub.key, hub.is_hub, hub.hub_reason, hub.joined) == (
        "cookie:a",
        True,
        "joins 3 persons",
        ("p2", "p7"),
    )
    assert r.hubs(persons=["p1"]) == [hub] and r.hubs(persons=["p2"]) == []
    assert r.persons(["p2"])["p2"].updated_at == T2
    assert r.persons(["p1"])["p1"].updated_at == T0


def test_reviews_and_models_are_replaced_whole(graph: GraphStore) -> None:
    pending = ReviewRow("cookie:a", "cookie:b", 0.93, "{}", "f", "pending", T1)
    _apply(graph, reviews=[pending], models=[ModelRow("v1", T1, '{"v": 1}')])
    decided = ReviewRow("cookie:a", "cookie:b", 0.93, "{}", "f", "approved", T1, T2, "eva", None)
    _apply(graph, reviews=[decided], models=[ModelRow("v2", T2, '{"v": 2}')])
    r = reads(graph)
    assert r.review_pairs([("cookie:a", "cookie:b"), ("cookie:a", "x")]) == {
        ("cookie:a", "cookie:b"): decided
    }
    assert r.reviews("approved", 10) == [decided] and r.reviews("pending", 10) == []
    assert (r.count_reviews(None), r.count_reviews("approved")) == (1, 1)
    assert r.latest_model() == ("v2", '{"v": 2}')


def test_message_ids_are_remembered(graph: GraphStore) -> None:
    _apply(graph, message_ids=[("m1", T1), ("m2", T1)])
    _apply(graph, message_ids=[("m1", T2)])  # a replay: no error, no change
    assert reads(graph).seen_messages(["m1", "m3"]) == {"m1"}
    assert reads(graph).row_counts()["messages"] == 2


def test_deleted_links_are_gone(graph: GraphStore) -> None:
    _apply(graph, delete_links=[("cookie:a", "cookie:b")])
    assert [lk.pair for lk in reads(graph).links(["cookie:b"])] == []
    assert [lk.pair for lk in reads(graph).links(["cookie:a"])] == [("cookie:a", "email:a@x.io")]


def test_deleted_identifiers_take_their_links_activity_and_records(graph: GraphStore) -> None:
    _apply(
        graph,
        activity=[ActivityRow("cookie:a", "VIEWED", "Product", "sku1", T1[:10], 1, T1, T1, 0)],
        records=[RecordRow("crm", "C1", "cookie:a", "{}", T1)],
        consent=[ConsentRow("cookie:a", "ads", True, "crm", T1)],
    )
    _apply(graph, delete_identifiers=["cookie:a"])
    r = reads(graph)
    assert r.identifiers(["cookie:a"]) == {}
    assert r.links(["cookie:a", "cookie:b", "email:a@x.io"]) == []
    assert r.activity(["cookie:a"]) == [] and r.records(["cookie:a"]) == []
    assert r.consent(["cookie:a"]) == [] and r.row_counts()["consent"] == 0
    assert [i.key for i in r.members(["p1"])["p1"]] == ["email:a@x.io"]
    counts = r.row_counts()
    assert (counts["identifiers"], counts["links"], counts["activity"], counts["records"]) == (
        2,
        0,
        0,
        0,
    )


def test_deleted_persons_and_their_lineage(graph: GraphStore) -> None:
    _apply(graph, lineage=[LineageRow("p2", "p1", "MERGED_INTO", T1, "x")])
    _apply(graph, delete_identifiers=["cookie:b"], delete_persons=["p2"])
    r = reads(graph)
    assert r.persons(["p1", "p2"]).keys() == {"p1"}
    assert r.scan("lineage") == []


def test_tombstones_are_added_once(graph: GraphStore) -> None:
    digest = tombstone_digest(b"salt", "email:a@x.io")
    assert digest != tombstone_digest(b"other salt", "email:a@x.io")
    assert "a@x.io" not in digest
    _apply(graph, tombstones=[TombstoneRow(digest, T1)])
    _apply(graph, tombstones=[TombstoneRow(digest, T2)])
    assert reads(graph).tombstones([digest, "0" * 64]) == {digest}
    graph.reset()
    assert reads(graph).tombstones([digest]) == set()


def test_reads_in_a_transaction_see_its_own_writes(graph: GraphStore) -> None:
    with graph.unit_of_work() as tx:
        tx.apply(ChangeSet(at=T1, assignments={"cookie:b": "p1"}))
        assert tx.identifiers(["cookie:b"])["cookie:b"].person_id == "p1"
        with graph.reader() as r:  # a snapshot sees committed state only
            assert r.identifiers(["cookie:b"])["cookie:b"].person_id == "p2"
    assert reads(graph).identifiers(["cookie:b"])["cookie:b"].person_id == "p1"


def test_store_errors_never_carry_values(graph: GraphStore) -> None:
    from identity_graph.errors import StoreError

    with pytest.raises(StoreError) as info:
        _apply(graph, new_identifiers=[_new("email:a@x.io", "p2")])
    assert "a@x.io" not in str(info.value)


def test_segments_are_upserted_by_name_and_keep_their_created_at(graph: GraphStore) -> None:
    _apply(graph, segments=[SegmentRow("vip", '{"v": 1}', T0, T0), SegmentRow("a", "{}", T0, T0)])
    _apply(graph, segments=[SegmentRow("vip", '{"v": 2}', T2, T2)])
    r = reads(graph)
    assert r.segments() == [SegmentRow("a", "{}", T0, T0), SegmentRow("vip", '{"v": 2}', T0, T2)]
    assert r.segments(["vip", "nope"]) == [SegmentRow("vip", '{"v": 2}', T0, T2)]
    assert r.segments([]) == []
    assert r.row_counts()["segments"] == 2
    _apply(graph, delete_segments=["vip", "nope"])
    assert [s.name for s in reads(graph).segments()] == ["a"]


def test_api_keys_are_replaced_by_name_and_found_by_digest(graph: GraphStore) -> None:
    ops = ApiKeyRow("ops", "admin", "d" * 64, (), (), T0)
    # Scope names as exporters use them: ready-made lists carry ':' and ',' is legal.
    ads = ApiKeyRow("ads", "exporter", "e" * 64, ("bought:SKU,1", "vip"), ("meta-vip",), T0)
    _apply(graph, api_keys=[ops, ads])
    r = reads(graph)
    assert r.api_keys() == [ads, ops]
    assert r.api_keys(["ops", "nope"]) == [ops] and r.api_keys([]) == []
    assert r.api_key("e" * 64) == ads and r.api_key("f" * 64) is None
    revoked = ApiKeyRow("ops", "admin", "d" * 64, (), (), T0, revoked_at=T2)
    _apply(graph, api_keys=[revoked])
    assert reads(graph).api_key("d" * 64) == revoked
    assert reads(graph).row_counts()["api_keys"] == 2
    rows = sorted(reads(graph).scan("api_keys"), key=lambda row: str(row["name"]))
    assert rows[0] == {
        "name": "ads",
        "role": "exporter",
        "digest": "e" * 64,
        "segments": ["bought:SKU,1", "vip"],
        "destinations": ["meta-vip"],
        "created_at": T0,
        "revoked_at": None,
    }
    graph.reset()
    assert reads(graph).api_keys() == []
    with graph.unit_of_work() as tx:  # migrate's import: the exported shape, twice
        tx.import_rows("api_keys", rows)
        tx.import_rows("api_keys", rows)
    assert reads(graph).api_keys() == [ads, revoked]


def _ledger(destination: str, gen: int, *digests: str) -> list[LedgerRow]:
    return [LedgerRow(destination, d, f'["{d}", {gen}]', f"p-{d}", gen) for d in digests]


def _delta(graph: GraphStore, gen: int, side: str, limit: int = 100) -> list[str]:
    out: list[str] = []
    after = None
    while page := reads(graph).ledger_delta("ads", gen, side, after, limit):
        out.extend(r.digest for r in page)
        after = page[-1].digest
    return out


def test_the_export_ledger_sends_only_the_difference(graph: GraphStore) -> None:
    ads = DestinationRow("ads", "meta", "vip", T0)
    _apply(graph, destinations=[ads], ledger_seen=_ledger("ads", 1, "d3", "d1", "d2"))
    assert _delta(graph, 1, "add", limit=2) == ["d1", "d2", "d3"]  # pages of 2, by digest
    assert _delta(graph, 1, "remove") == []
    (first, *_) = reads(graph).ledger_delta("ads", 1, "add", None, 1)
    assert first == LedgerRow("ads", "d1", '["d1", 1]', "p-d1", 1)
    assert reads(graph).ledger_size("ads") == 0
    committed = DestinationRow("ads", "meta", "vip", T0, 1, T1)
    _apply(graph, ledger_commits=[("ads", 1)], destinations=[committed])
    assert (reads(graph).ledger_size("ads"), _delta(graph, 1, "add")) == (3, [])
    assert reads(graph).destinations() == [committed]

    # Generation 2 sees d2 (its row changed), d3 and a new d4; d1 has left the segment.
    _apply(graph, ledger_seen=_ledger("ads", 2, "d2", "d3", "d4"))
    assert _delta(graph, 2, "add") == ["d4"]
    assert _delta(graph, 2, "remove", limit=1) == ["d1"]
    # Another destination's ledger is its own.
    _apply(graph, ledger_seen=_ledger("crm", 1, "d1"), ledger_commits=[("crm", 1)])
    assert reads(graph).ledger_size("crm") == 1
    _apply(graph, ledger_commits=[("ads", 2)])
    assert reads(graph).ledger_size("ads") == 3
    assert (_delta(graph, 2, "add"), _delta(graph, 2, "remove")) == ([], [])
    rows = sorted(reads(graph).scan("ledger"), key=lambda r: (r["destination"], r["digest"]))
    assert [(r["destination"], r["digest"], r["sent_gen"], r["seen_gen"]) for r in rows] == [
        ("ads", "d2", 1, 2),
        ("ads", "d3", 1, 2),
        ("ads", "d4", 2, 2),
        ("crm", "d1", 1, 1),
    ]
    assert rows[0]["row"] == '["d2", 2]' and rows[0]["person_id"] == "p-d2"

    # An abandoned generation 3 (seen, never committed) is forgotten by the commit of 4.
    _apply(graph, ledger_seen=_ledger("ads", 3, "d2", "d5"))
    _apply(graph, ledger_seen=_ledger("ads", 4, "d2", "d3"))
    assert (_delta(graph, 4, "add"), _delta(graph, 4, "remove")) == ([], ["d4"])
    _apply(graph, ledger_commits=[("ads", 4)])
    assert reads(graph).ledger_size("ads") == 2
    assert reads(graph).row_counts()["ledger"] == 3


def test_destinations_are_replaced_whole_and_deleted_with_their_ledger(graph: GraphStore) -> None:
    leased = DestinationRow("ads", "meta", "vip", T0, 0, None, "worker-1", T1)
    other = DestinationRow("crm", "csv", "all", T0)
    _apply(graph, destinations=[other, leased], ledger_seen=_ledger("ads", 1, "d1"))
    _apply(graph, ledger_seen=_ledger("crm", 1, "d1"))
    assert reads(graph).destinations(["ads"]) == [leased]
    released = DestinationRow("ads", "google", "vip", T0, 1, T2)
    _apply(graph, destinations=[released])
    assert reads(graph).destinations() == [released, other]
    _apply(graph, delete_destinations=["ads"])
    r = reads(graph)
    assert r.destinations() == [other] and r.destinations(["ads"]) == []
    assert _delta(graph, 1, "add") == [] and r.row_counts()["ledger"] == 1
    assert r.row_counts()["destinations"] == 1


def test_reset_clears_consent_segments_destinations_and_the_ledger(graph: GraphStore) -> None:
    _apply(
        graph,
        consent=[ConsentRow("cookie:a", "ads", True, "crm", T1)],
        segments=[SegmentRow("vip", "{}", T1, T1)],
        destinations=[DestinationRow("ads", "meta", "vip", T1)],
        ledger_seen=_ledger("ads", 1, "d1"),
    )
    graph.reset()
    assert {n for n in reads(graph).row_counts().values()} == {0}
