"""The segment AST: what parses, what is refused and where, named segments expanded."""

from __future__ import annotations

from typing import Any

import pytest

from identity_graph.errors import SegmentError
from identity_graph.segments.ast import (
    MAX_DEPTH,
    MAX_NODES,
    And,
    Exposed,
    Not,
    Trait,
    dump_segment,
    measure,
    parse_segment,
)
from identity_graph.segments.library import READY_MADE, ready_made
from identity_graph.segments.resolve import resolve

EXAMPLE: dict[str, Any] = {
    "and": [
        {"viewed": {"product": "MATTRESS", "within_days": 30}},
        {"not": {"bought": {"product": "MATTRESS"}}},
        {"not": {"open_case": {}}},
        {"not": {"exposed": {"campaign": "WINTER", "at_least": 2}}},
        {"consent": {"purpose": "ad_personalization"}},
    ]
}


def error_of(data: object) -> str:
    with pytest.raises(SegmentError) as caught:
        parse_segment(data)
    return str(caught.value)


def test_the_issue_example_parses_and_round_trips() -> None:
    expr = parse_segment(EXAMPLE)
    assert isinstance(expr, And)
    assert len(expr.and_) == 5
    exposed = expr.and_[3]
    assert isinstance(exposed, Not) and isinstance(exposed.not_, Exposed)
    assert exposed.not_.exposed.at_least == 2
    assert parse_segment(dump_segment(expr)) == expr


def test_every_node_and_criterion_parses() -> None:
    data = {
        "or": [
            {"has_identifier": {"type": "email"}},
            {"attribute": {"name": "city", "in": ["Paris", "Lyon"]}},
            {"trait": {"name": "purchase_amount", "gte": 10.5}},
            {"trait": {"name": "products_bought", "contains": "X"}},
            {"bought": {}},
            {"viewed": {"product": "X", "at_least": 3}},
            {"exposed": {"campaign": "C"}},
            {"open_case": {}},
            {"consent": {"purpose": "ad_personalization"}},
            {"devices": {"at_least": 2}},
            {"except": {"from": {"bought": {}}, "remove": [{"in_segment": "vip"}]}},
            {"in_segment": {"name": "vip"}},
        ]
    }
    expr = parse_segment(data)
    assert measure(expr) == (3, 15)
    # the string sugar of in_segment comes back in its long form
    assert parse_segment(dump_segment(expr)) == expr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "and": [
                    {"open_case": {}},
                    {"open_case": {}},
                    {"not": {"exposed": {"campaign": "W", "at_least": 0}}},
                ]
            },
            "and[2].not.exposed.at_least: must be >= 1",
        ),
        ({"frobnicate": {}}, "frobnicate: unknown node or criterion"),
        ({"and": [{"bought": {"sku": "X"}}]}, "and[0].bought.sku: unknown key"),
        ({"and": []}, "and: must not be empty"),
        ({"or": {"bought": {}}}, "or: expected a list of expressions"),
        ({"bought": {}, "viewed": {}}, "segment: a node has exactly one key, got 2"),
        ({"not": 3}, "not: expected an object with one key"),
        ({"exposed": {"at_least": 2}}, "exposed.campaign: required"),
        ({"devices": {"at_least": 0}}, "devices.at_least: must be >= 1"),
        ({"viewed": {"within_days": "30"}}, "viewed.within_days: Input should be a valid integer"),
        ({"except": {"from": {"bought": {}}}}, "except.remove: required"),
        ({"except": {"from": {"bought": {}}, "remove": []}}, "except.remove: must not be empty"),
        ({"except": {"from": {"bought": {}}, "keep": []}}, "except.keep: unknown key"),
        ({"in_segment": ""}, "in_segment.name: must not be empty"),
        (
            {"attribute": {"name": "city", "eq": "a", "ne": "b"}},
            "attribute: exactly one operator of eq, ne, lt, lte, gt, gte, in, contains, exists; "
            "got eq, ne",
        ),
        ({"attribute": {"name": "city"}}, "attribute: exactly one operator"),
        ({"attribute": {"name": "city", "in": ["a", 2]}}, "attribute.in[1]: must be a string"),
        ({"attribute": {"name": "city", "in": []}}, "attribute.in: must not be empty"),
        ({"attribute": {"name": "city", "eq": None}}, "attribute.eq: needs a value"),
        ({"attribute": {"name": 'a"b', "exists": True}}, "attribute.name: must not contain"),
        ({"trait": {"name": "shoe_size", "eq": 1}}, "trait.name: unknown trait"),
        (
            {"trait": {"name": "exposures", "gte": 1}},
            "trait.name: trait 'exposures' is not comparable: use the exposed",
        ),
        ({"trait": {"name": "purchase_count", "gte": "3"}}, "trait.gte: must be a number"),
        ({"trait": {"name": "purchase_count", "gte": True}}, "trait.gte: must be a string or a"),
        ({"attribute": {"name": "city", "exists": "yes"}}, "attribute.exists: must be true or"),
        ({"trait": {"name": "purchase_count", "contains": 3}}, "trait.contains: contains applies"),
        ({"trait": {"name": "products_bought", "eq": "X"}}, "trait.eq: products_bought takes"),
        ({"trait": {"name": "products_bought", "contains": 1}}, "trait.contains: must be a string"),
        ({"trait": {"name": "last_purchase_at", "gt": "yesterday"}}, "trait.gt: must be an ISO"),
        ({"trait": {"name": "last_purchase_at", "gt": 5}}, "trait.gt: must be an ISO"),
    ],
)
def test_errors_name_the_path_in_the_expression(data: object, message: str) -> None:
    assert error_of(data).startswith(message)


def test_errors_never_quote_values() -> None:
    secret = "anna@example.com"
    for data in (
        {"attribute": {"name": "email", "eq": secret, "ne": secret}},
        {"trait": {"name": "last_seen_at", "gt": secret}},
        {"has_identifier": {"type": "email", "value": secret}},
    ):
        assert secret not in error_of(data)


def test_datetime_traits_are_normalised_to_stored_text() -> None:
    expr = parse_segment(
        {"trait": {"name": "last_purchase_at", "gte": "2025-03-01T12:00:00+02:00"}}
    )
    assert isinstance(expr, Trait)
    assert expr.trait.value == "2025-03-01T10:00:00.000000Z"


def nested(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {"open_case": {}}
    for _ in range(depth - 1):
        data = {"not": data}
    return data


def test_depth_limit() -> None:
    assert measure(parse_segment(nested(MAX_DEPTH)))[0] == MAX_DEPTH
    assert "nested deeper than 12 levels" in error_of(nested(MAX_DEPTH + 1))
    # far deeper input is refused without recursing into all of it
    assert "nested deeper" in error_of(nested(10_000))


def test_node_limit() -> None:
    ok = {"or": [{"open_case": {}}] * (MAX_NODES - 1)}
    assert measure(parse_segment(ok))[1] == MAX_NODES
    too_many = {"or": [{"open_case": {}}] * MAX_NODES}
    assert error_of(too_many) == "or[199]: the expression has more than 200 nodes"


# -- named segments -----------------------------------------------------------------------


def lookup_from(stored: dict[str, object]) -> Any:
    parsed = {name: parse_segment(data) for name, data in stored.items()}
    return parsed.get


def test_resolve_expands_named_segments_inline() -> None:
    lookup = lookup_from({"vip": {"trait": {"name": "purchase_count", "gte": 5}}})
    expr = resolve(
        parse_segment({"and": [{"in_segment": "vip"}, {"not": {"in_segment": "vip"}}]}), lookup
    )
    vip = parse_segment({"trait": {"name": "purchase_count", "gte": 5}})
    assert expr == parse_segment({"and": [dump_segment(vip), {"not": dump_segment(vip)}]})


def test_ready_made_lists_come_before_stored_segments() -> None:
    lookup = lookup_from({"open_complaint": {"bought": {}}})
    expr = resolve(parse_segment({"in_segment": "open_complaint"}), lookup)
    assert expr == parse_segment({"open_case": {}})


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "existing_customers",
            {
                "or": [
                    {"has_identifier": {"type": "customer_id"}},
                    {"has_identifier": {"type": "crm_id"}},
                    {"bought": {}},
                ]
            },
        ),
        ("open_complaint", {"open_case": {}}),
        ("bought:MATTRESS", {"bought": {"product": "MATTRESS"}}),
        ("exposed:WINTER:2", {"exposed": {"campaign": "WINTER", "at_least": 2}}),
        ("exposed:a:b:3", {"exposed": {"campaign": "a:b", "at_least": 3}}),
    ],
)
def test_ready_made_lists(name: str, data: object) -> None:
    assert ready_made(name) == parse_segment(data)


@pytest.mark.parametrize("name", ["bought:", "exposed:WINTER", "exposed:WINTER:0", "exposed::2"])
def test_malformed_ready_made_names(name: str) -> None:
    with pytest.raises(SegmentError):
        ready_made(name)


def test_ready_made_names_are_listed() -> None:
    assert READY_MADE[:2] == ("existing_customers", "open_complaint")
    assert ready_made("vip") is None


def test_unknown_segment_is_named_with_its_path() -> None:
    with pytest.raises(SegmentError) as caught:
        resolve(parse_segment({"and": [{"bought": {}}, {"not": {"in_segment": "nope"}}]}), {}.get)
    assert str(caught.value) == "and[1].not.in_segment: unknown segment 'nope'"


def test_cycles_are_refused_with_their_chain() -> None:
    lookup = lookup_from(
        {
            "a": {"or": [{"bought": {}}, {"in_segment": "b"}]},
            "b": {"not": {"in_segment": "a"}},
            "self": {"in_segment": "self"},
        }
    )
    with pytest.raises(SegmentError) as caught:
        resolve(parse_segment({"in_segment": "a"}), lookup)
    assert "segment 'a' refers to itself (a -> b -> a)" in str(caught.value)
    with pytest.raises(SegmentError, match=r"self -> self"):
        resolve(parse_segment({"in_segment": "self"}), lookup)


def test_a_segment_used_twice_is_no_cycle() -> None:
    lookup = lookup_from(
        {"x": {"bought": {}}, "y": {"and": [{"in_segment": "x"}, {"in_segment": "x"}]}}
    )
    out = resolve(parse_segment({"or": [{"in_segment": "y"}, {"in_segment": "x"}]}), lookup)
    assert measure(out) == (3, 5)


def test_limits_apply_after_expansion() -> None:
    deep = nested(MAX_DEPTH - 1)
    lookup = lookup_from({"deep": deep})
    assert measure(resolve(parse_segment({"in_segment": "deep"}), lookup))[0] == MAX_DEPTH - 1
    with pytest.raises(SegmentError, match="nested deeper than 12 levels"):
        resolve(parse_segment({"not": {"not": {"in_segment": "deep"}}}), lookup)
    wide = {"or": [{"open_case": {}}] * 150}
    lookup = lookup_from({"wide": wide})
    with pytest.raises(SegmentError, match="more than 200 nodes"):
        resolve(parse_segment({"and": [{"in_segment": "wide"}, {"in_segment": "wide"}]}), lookup)


def test_expressions_are_hashable_values() -> None:
    a, b = parse_segment(EXAMPLE), parse_segment(EXAMPLE)
    assert a == b and hash(a) == hash(b)
