from __future__ import annotations

import pytest

from identity_graph.config import Settings
from identity_graph.ingest.events import EventParser
from identity_graph.ingest.normalize import Normalizer
from tests.helpers import event


@pytest.fixture
def parser() -> EventParser:
    s = Settings()
    return EventParser(s, Normalizer(s))


def keys(parser: EventParser, ev: object) -> list[str]:
    result = parser.parse(ev, 0)
    assert result.errors == []
    assert result.observation is not None
    return [k for k, _, _ in result.observation.identifiers]


def test_segment_fields_map_to_identifier_types(parser: EventParser) -> None:
    ev = event(
        "identify",
        userId="u1",
        anonymousId="c1",
        email="A@B.com",
        phone="+1 201 555 0123",
        device="dev-1",
        ad_id="ad-1",
    )
    ev["context"]["externalIds"] = [{"id": "L-9", "type": "loyalty_id", "collection": "users"}]
    assert keys(parser, ev) == [
        "customer_id:u1",
        "cookie:c1",
        "email:a@b.com",
        "phone:+12015550123",
        "device_id:DEV-1",
        "device_id:AD-1",
        "loyalty_id:L-9",
    ]


def test_alias_links_previous_id(parser: EventParser) -> None:
    assert keys(parser, event("alias", userId="u1", previousId="c0")) == [
        "customer_id:u1",
        "cookie:c0",
    ]


def test_context_traits_are_read_when_top_level_traits_absent(parser: EventParser) -> None:
    ev = event(
        "track", anonymousId="c1", event="Signed Up", context={"traits": {"email": "x@y.org"}}
    )
    assert keys(parser, ev) == ["cookie:c1", "email:x@y.org"]


def test_all_zero_ad_id_is_dropped_and_counted(parser: EventParser) -> None:
    result = parser.parse(
        event("screen", anonymousId="c1", ad_id="00000000-0000-0000-0000-000000000000"), 3
    )
    assert result.observation is not None
    assert [k for k, _, _ in result.observation.identifiers] == ["cookie:c1"]
    assert result.observation.placeholders == 1


def test_every_problem_of_an_item_is_reported(parser: EventParser) -> None:
    ev = event("identify", userId="u1", email="nope", phone="12", timestamp="yesterday")
    result = parser.parse(ev, 7)
    assert result.observation is None
    assert {(e.position, e.field) for e in result.errors} == {
        (7, "traits.email"),
        (7, "traits.phone"),
        (7, "timestamp"),
    }


@pytest.mark.parametrize(
    ("ev", "field"),
    [
        ({"type": "bogus", "userId": "u"}, "type"),
        # JSON lists and objects are unhashable: once a TypeError out of the parser
        ({"type": ["identify"], "userId": "u"}, "type"),
        (
            {"type": "page", "userId": "u", "context": {"externalIds": [{"id": "1", "type": {}}]}},
            "context.externalIds[0].type",
        ),
        ({"type": "page"}, "userId"),
        ({"type": "alias", "userId": "u"}, "previousId"),
        ({"type": "page", "userId": "u", "messageId": ""}, "messageId"),
        (
            {"type": "page", "userId": "u", "context": {"externalIds": [{"id": "1", "type": "x"}]}},
            "context.externalIds[0].type",
        ),
        (
            {"type": "track", "userId": "u", "event": "Product Viewed", "properties": {}},
            "properties.product_id",
        ),
        ({"type": "track", "userId": "u"}, "event"),
        ("not an object", "$"),
        # Hostile input: a lone surrogate once gave 500, a control character was stored.
        ({"type": "identify", "userId": "\ud800x"}, "userId"),
        ({"type": "identify", "userId": "u", "messageId": "\ud800x"}, "messageId"),
        ({"type": "identify", "userId": "u\x07x"}, "userId"),
        ({"type": "identify", "anonymousId": "c\x9bx"}, "anonymousId"),
        ({"type": "identify", "userId": "u", "messageId": "m" * 257}, "messageId"),
        ({"type": "identify", "userId": "u" * 5000}, "userId"),
        (
            {
                "type": "track",
                "userId": "u",
                "event": "Order Completed",
                "properties": {"products": [{"product_id": "p", "price": float("nan")}]},
            },
            "properties.products[0].price",
        ),
        (
            {
                "type": "track",
                "userId": "u",
                "event": "Order Completed",
                "properties": {"products": [{"product_id": "p", "price": 1e308, "quantity": 10}]},
            },
            "properties.products[0].price",
        ),
        (
            {
                "type": "track",
                "userId": "u",
                "event": "Order Completed",
                "properties": {"products": [{"product_id": "p", "price": 5, "quantity": 1e300}]},
            },
            "properties.products[0].quantity",
        ),
    ],
)
def test_bad_events_name_the_field(parser: EventParser, ev: object, field: str) -> None:
    result = parser.parse(ev, 0)
    assert result.observation is None
    assert field in [e.field for e in result.errors]


def test_order_completed_becomes_purchases_on_the_most_durable_identifier(
    parser: EventParser,
) -> None:
    ev = event(
        "track",
        anonymousId="c1",
        userId="u1",
        event="Order Completed",
        properties={
            "order_id": "o1",
            "products": [
                {"product_id": "p1", "price": 10.0, "quantity": 2},
                {"product_id": "p2", "price": 5},
            ],
        },
    )
    obs = parser.parse(ev, 0).observation
    assert obs is not None
    assert obs.activity_key == "customer_id:u1"
    assert obs.activity == [
        ("PURCHASED", "Product", "p1", 20.0),
        ("PURCHASED", "Product", "p2", 5.0),
    ]


def test_missing_message_id_is_derived_from_content(parser: EventParser) -> None:
    ev = {"type": "page", "anonymousId": "c1", "timestamp": "2025-01-01T00:00:00Z"}
    first = parser.parse(dict(ev), 0).observation
    again = parser.parse(dict(ev), 1).observation
    assert first is not None and again is not None
    assert first.message_id == again.message_id


def test_timestamps_become_utc(parser: EventParser) -> None:
    obs = parser.parse(
        event("page", anonymousId="c", ts="2025-01-01T12:00:00+02:00"), 0
    ).observation
    assert obs is not None and obs.at == "2025-01-01T10:00:00.000000Z"


def _consent(prefs: object, type_: str = "identify", **fields: object) -> dict[str, object]:
    ev = event(type_, **fields)
    ev.setdefault("context", {})["consent"] = {"categoryPreferences": prefs}
    return ev


def test_consent_of_any_event_hangs_off_its_most_durable_identifier(parser: EventParser) -> None:
    for type_ in ("identify", "page", "screen", "group"):
        ev = _consent(
            {"Advertising": False, "Analytics": True}, type_, anonymousId="c1", userId="u1"
        )
        obs = parser.parse(ev, 0).observation
        assert obs is not None, type_
        # Analytics is not a configured category: ignored.
        assert obs.consent == [("ad_personalization", False)]
        assert obs.activity_key == "customer_id:u1"
        assert obs.source == f"segment:{type_}"
    device = _consent({"Advertising": True}, "track", anonymousId="c2", device="d1", event="X")
    obs = parser.parse(device, 0).observation
    assert obs is not None and obs.activity_key == "device_id:D1"
    assert obs.consent == [("ad_personalization", True)]


def test_no_consent_no_owner_on_identify(parser: EventParser) -> None:
    obs = parser.parse(event("identify", anonymousId="c1", userId="u1"), 0).observation
    assert obs is not None and obs.consent == [] and obs.activity_key is None


@pytest.mark.parametrize(
    ("prefs", "field"),
    [
        ({"Advertising": "yes"}, "context.consent.categoryPreferences.Advertising"),
        ({"Other": 1}, "context.consent.categoryPreferences.Other"),
        (["Advertising"], "context.consent.categoryPreferences"),
    ],
)
def test_bad_consent_names_the_field(parser: EventParser, prefs: object, field: str) -> None:
    result = parser.parse(_consent(prefs, anonymousId="c1"), 3)
    assert result.observation is None
    (error,) = result.errors
    assert error.field == field
    assert str(error) == f"item 3: {field}: must be true or false" or str(error).endswith(
        "must be an object"
    )


# -- hostile input: bounded times, sizes, IDs ------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        # Year 9999 was once stored as every link's last_seen.
        ({"timestamp": "9999-12-31T23:59:59Z"}, "timestamp", "in the future"),
        ({"timestamp": "1969-12-31T23:59:59Z"}, "timestamp", "before 1970"),
        ({"timestamp": "0001-01-01T00:00:00Z"}, "timestamp", "before 1970"),
        # Once an OverflowError (a 500): no UTC time exists for it.
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp", "out of range"),
        ({"timestamp": None, "originalTimestamp": "2999-01-01T00:00:00Z"}, "originalTimestamp", ""),
        ({"timestamp": None, "sentAt": "garbage"}, "sentAt", "not an ISO-8601"),
    ],
)
def test_times_outside_the_window_name_their_field(
    parser: EventParser, fields: dict[str, object], field: str, reason: str
) -> None:
    ev = {**event("identify", userId="u"), **fields}
    result = parser.parse(ev, 0)
    assert result.observation is None
    assert [(e.field, reason in e.reason) for e in result.errors] == [(field, True)]


def test_a_clock_a_little_ahead_is_accepted_and_the_skew_is_a_setting() -> None:
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    s = Settings()
    assert EventParser(s, Normalizer(s)).parse(event(userId="u", ts=soon), 0).errors == []
    strict = Settings(max_future_seconds=60)
    result = EventParser(strict, Normalizer(strict)).parse(event(userId="u", ts=soon), 0)
    assert [e.field for e in result.errors] == ["timestamp"]


def _nested(depth: int) -> dict[str, object]:
    inner: dict[str, object] = {}
    for _ in range(depth):
        inner = {"n": inner}
    return inner


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"properties": {str(i): i for i in range(100_000)}}, "properties"),
        ({"properties": _nested(50)}, "properties" + ".n" * 14),
        ({"traits": {"bio": "x" * 5000}}, "traits.bio"),
        ({"traits": {"k" * 300: 1}}, "traits"),
        ({"traits": {"score": float("inf")}}, "traits.score"),
        ({"context": {"page": {"n": 2**60}}}, "context.page.n"),
        ({"properties": {"rows": [[0] * 1000] * 20}}, "$"),
        ({"event": "x" * 257}, "event"),
    ],
)
def test_oversized_or_deep_events_are_refused_naming_the_field(
    parser: EventParser, fields: dict[str, object], field: str
) -> None:
    ev = {**event("track", userId="u", event="Signed Up"), **fields}
    result = parser.parse(ev, 0)
    assert result.observation is None
    assert [e.field for e in result.errors] == [field]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("p" * 257, "longer than 256"),
        ("p\x07", "control characters"),
        ("p\ud800", "not valid Unicode"),
        ({"id": 1}, "string or an integer"),
        (1.5, "string or an integer"),
    ],
)
def test_activity_ids_are_bounded_and_stored_as_sent(
    parser: EventParser, target: object, reason: str
) -> None:
    ev = event(
        "track",
        userId="u",
        event="Order Completed",
        properties={"products": [{"product_id": target, "price": 1}]},
    )
    result = parser.parse(ev, 0)
    assert [(e.field, reason in e.reason) for e in result.errors] == [
        ("properties.products[0].product_id", True)
    ]
    ok = event("track", userId="u", event="Case Opened", properties={"case_id": 123})
    obs = parser.parse(ok, 0).observation
    assert obs is not None and obs.activity == [("OPENED_CASE", "Case", "123", 0.0)]
