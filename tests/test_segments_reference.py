"""The meaning of segments, on hand-built facts: the reference evaluator, traits and `why`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from identity_graph.config import Settings
from identity_graph.errors import SegmentError
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.profiles.traits import (
    IdentifierFact,
    PersonFacts,
    RecordFact,
    compute_traits,
)
from identity_graph.segments.ast import parse_segment
from identity_graph.segments.context import EvalContext
from identity_graph.segments.reference import evaluate, members
from identity_graph.segments.why import why
from identity_graph.stores.rows import ActivityRow, ConsentRow

CTX = EvalContext(as_of=datetime(2025, 3, 31, 12, tzinfo=UTC), settings=Settings())
K = IdentifierKey


def ts(day: str, hour: int = 10) -> str:
    return f"{day}T{hour:02d}:00:00.000000Z"


def ident(key: str) -> IdentifierFact:
    return IdentifierFact(K(key), key.split(":")[0], ts("2025-01-01"), ts("2025-03-01"))


def act(
    key: str, kind: str, target: str, day: str, count: int = 1, amount: float = 0.0
) -> ActivityRow:
    target_type = {"PURCHASED": "Product", "VIEWED": "Product", "EXPOSED_TO": "Campaign"}.get(
        kind, "Case"
    )
    return ActivityRow(K(key), kind, target_type, target, day, count, ts(day), ts(day), amount)


def person(pid: str, keys: list[str], **facts: Any) -> PersonFacts:
    return PersonFacts(PersonId(pid), [ident(k) for k in keys], **facts)


def holds(data: object, p: PersonFacts, ctx: EvalContext = CTX) -> bool:
    return evaluate(parse_segment(data), p, ctx)


def test_exposure_is_counted_per_person_across_identifiers() -> None:
    """Once on the laptop's cookie and once on the phone: exposed twice."""
    anna = person(
        "p1",
        ["cookie:laptop", "phone:+15550100"],
        activity=[
            act("cookie:laptop", "EXPOSED_TO", "WINTER", "2025-03-01"),
            act("phone:+15550100", "EXPOSED_TO", "WINTER", "2025-03-02"),
        ],
    )
    assert holds({"exposed": {"campaign": "WINTER", "at_least": 2}}, anna)
    assert not holds({"exposed": {"campaign": "WINTER", "at_least": 3}}, anna)
    assert not holds({"not": {"exposed": {"campaign": "WINTER", "at_least": 2}}}, anna)
    assert compute_traits(anna, CTX.settings).exposures == {"WINTER": 2}
    trace = why(parse_segment({"exposed": {"campaign": "WINTER", "at_least": 2}}), anna, CTX)
    assert trace.result
    assert trace.nodes[0].identifiers == ["cookie:laptop", "phone:+15550100"]
    assert trace.nodes[0].seen == {"count": 2}


def test_windows_count_days_back_from_as_of() -> None:
    p = person(
        "p1",
        ["cookie:a"],
        activity=[
            act("cookie:a", "VIEWED", "MATTRESS", "2025-03-01"),  # 30 days before 2025-03-31
            act("cookie:a", "VIEWED", "MATTRESS", "2025-02-28", count=4),
        ],
    )
    assert holds({"viewed": {"product": "MATTRESS", "within_days": 30}}, p)
    assert not holds({"viewed": {"product": "MATTRESS", "within_days": 30, "at_least": 2}}, p)
    assert holds({"viewed": {"product": "MATTRESS", "within_days": 31, "at_least": 5}}, p)
    assert holds({"viewed": {"within_days": 0, "at_least": 1}}, p) is False
    assert holds({"viewed": {"at_least": 5}}, p)


def test_open_cases_are_opened_and_not_closed_anywhere() -> None:
    p = person(
        "p1",
        ["email:a@x.com", "phone:+15550100"],
        activity=[
            act("email:a@x.com", "OPENED_CASE", "C1", "2025-03-01"),
            act("phone:+15550100", "CLOSED_CASE", "C1", "2025-03-02"),  # closed on another id
            act("phone:+15550100", "OPENED_CASE", "C2", "2025-03-02"),
        ],
    )
    assert holds({"open_case": {}}, p)
    assert holds({"trait": {"name": "open_cases", "contains": "C2"}}, p)
    assert not holds({"trait": {"name": "open_cases", "contains": "C1"}}, p)
    assert compute_traits(p, CTX.settings).open_case_count == 1


def test_consent_newest_signal_wins_a_denial_on_a_tie_else_the_default() -> None:
    purpose = {"consent": {"purpose": "ad_personalization"}}
    signals = [
        ConsentRow(K("cookie:a"), "ad_personalization", True, "segment", ts("2025-03-01")),
        ConsentRow(K("email:a@x.com"), "ad_personalization", False, "crm", ts("2025-02-01")),
    ]
    p = person("p1", ["cookie:a", "email:a@x.com"], consent=signals)
    assert holds(purpose, p)
    tie = ConsentRow(K("email:a@x.com"), "ad_personalization", False, "crm", ts("2025-03-01"))
    assert not holds(
        purpose, person("p1", ["cookie:a", "email:a@x.com"], consent=[signals[0], tie])
    )
    silent = person("p2", ["cookie:b"])
    assert not holds(purpose, silent)
    opt_out = EvalContext(CTX.as_of, Settings(consent_defaults={"ad_personalization": True}))
    assert holds(purpose, silent, opt_out)
    assert compute_traits(silent, CTX.settings).consent == {"ad_personalization": False}


def test_comparisons_on_missing_values_are_false_and_their_not_true() -> None:
    p = person("p1", ["cookie:a"])
    for data in (
        {"attribute": {"name": "city", "eq": "Paris"}},
        {"attribute": {"name": "city", "ne": "Paris"}},
        {"trait": {"name": "last_purchase_at", "lt": "2030-01-01T00:00:00Z"}},
        {"trait": {"name": "last_purchase_at", "ne": "2030-01-01T00:00:00Z"}},
        {"trait": {"name": "products_bought", "exists": True}},
    ):
        assert not holds(data, p)
        assert holds({"not": data}, p)
    assert holds({"trait": {"name": "purchase_count", "eq": 0}}, p)  # a count is never missing
    assert holds({"trait": {"name": "last_purchase_at", "exists": False}}, p)


def record(source: str, rid: str, key: str, at: str, **attrs: str) -> RecordFact:
    return RecordFact(source, rid, K(key), ts(at), dict(attrs))


def test_attributes_compare_the_surviving_value() -> None:
    p = person(
        "p1",
        ["crm_id:1", "loyalty_id:9"],
        records=[
            record("loyalty", "9", "loyalty_id:9", "2025-03-01", city="Lyon", tier="gold"),
            record("crm", "1", "crm_id:1", "2024-01-01", city="Paris"),
            record("crm", "0", "crm_id:1", "2024-01-01", city="Nice"),  # same time: record_id
        ],
    )
    assert holds({"attribute": {"name": "city", "eq": "Nice"}}, p)
    assert not holds({"attribute": {"name": "city", "eq": "Lyon"}}, p)
    assert holds({"attribute": {"name": "tier", "in": ["gold", "silver"]}}, p)
    assert holds({"attribute": {"name": "city", "contains": "ic"}}, p)
    assert holds({"attribute": {"name": "city", "gt": "Lyon"}}, p)
    assert holds({"attribute": {"name": "zip", "exists": False}}, p)
    trace = why(parse_segment({"attribute": {"name": "city", "eq": "Nice"}}), p, CTX)
    assert trace.nodes[0].records[0].record_id == "0"


def test_traits_across_identifiers() -> None:
    p = person(
        "p1",
        ["cookie:a", "device_id:D", "email:a@x.com"],
        activity=[
            act("cookie:a", "PURCHASED", "X", "2025-03-01", count=2, amount=20.5),
            act("email:a@x.com", "PURCHASED", "Y", "2025-03-05", amount=4.25),
            act("email:a@x.com", "VIEWED", "X", "2025-03-06", count=3),
        ],
    )
    t = compute_traits(p, CTX.settings)
    assert (t.purchase_count, t.purchase_amount, t.products_bought) == (3, 24.75, ["X", "Y"])
    assert t.last_purchase_at == ts("2025-03-05")
    assert t.last_activity_at == ts("2025-03-06")
    assert (t.view_count, t.device_count, t.identifier_count) == (3, 2, 3)
    assert holds({"devices": {"at_least": 2}}, p)
    assert not holds({"devices": {"at_least": 3}}, p)
    assert holds({"trait": {"name": "purchase_amount", "gt": 24.5}}, p)
    assert holds({"trait": {"name": "last_purchase_at", "gte": "2025-03-05T10:00:00Z"}}, p)
    assert holds({"trait": {"name": "view_count", "in": [1, 3]}}, p)


def test_logic_and_members() -> None:
    buyer = person("p2", ["cookie:b"], activity=[act("cookie:b", "PURCHASED", "X", "2025-03-01")])
    viewer = person("p1", ["cookie:a"], activity=[act("cookie:a", "VIEWED", "X", "2025-03-01")])
    empty = person("p3", [])
    everyone = [buyer, viewer, empty]
    seg = parse_segment(
        {
            "except": {
                "from": {"or": [{"bought": {}}, {"viewed": {}}]},
                "remove": [{"bought": {"product": "X"}}],
            }
        }
    )
    assert members(seg, everyone, CTX) == ["p1"]
    # the universe is persons with identifiers: a pure negation never yields p3
    assert members(parse_segment({"not": {"bought": {}}}), everyone, CTX) == ["p1"]


def test_why_traces_every_node_with_its_path() -> None:
    p = person("p1", ["cookie:a"], activity=[act("cookie:a", "VIEWED", "MATTRESS", "2025-03-20")])
    seg = parse_segment(
        {
            "and": [
                {"viewed": {"product": "MATTRESS", "within_days": 30}},
                {"not": {"bought": {"product": "MATTRESS"}}},
                {"consent": {"purpose": "ad_personalization"}},
            ]
        }
    )
    trace = why(seg, p, CTX)
    assert [(n.path, n.result) for n in trace.nodes] == [
        ("and", False),
        ("and[0].viewed", True),
        ("and[1].not", True),
        ("and[1].not.bought", False),
        ("and[2].consent", False),
    ]
    assert trace.nodes[1].activity[0].key == "cookie:a"
    assert trace.nodes[4].seen == {"default": False}
    assert trace.model_dump(mode="json")["result"] is False


def test_unresolved_names_are_refused() -> None:
    with pytest.raises(SegmentError, match="resolved"):
        holds({"in_segment": "vip"}, person("p1", ["cookie:a"]))
