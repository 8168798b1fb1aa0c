"""The segment compilers: values only as parameters, the store methods on both stores, and
the example of the issue end to end through the real ingest path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from identity_graph.config import Settings
from identity_graph.errors import SegmentError
from identity_graph.segments import cypher, sql
from identity_graph.segments.ast import parse_segment
from identity_graph.segments.context import EvalContext
from identity_graph.segments.resolve import resolve
from identity_graph.service.identity import IdentityService
from tests.helpers import event, person_of, reads
from tests.test_segments_ast import EXAMPLE

CTX = EvalContext(as_of=datetime(2025, 3, 31, 12, tzinfo=UTC), settings=Settings())

VALUES = {
    "and": [
        {"attribute": {"name": "city", "in": ["Secretville", "Hiddenham"]}},
        {"bought": {"product": "SKU-SECRET", "within_days": 7}},
        {"not": {"exposed": {"campaign": "CAMP-SECRET", "at_least": 3}}},
        {"consent": {"purpose": "purpose-secret"}},
        {"has_identifier": {"type": "type-secret"}},
        {"trait": {"name": "last_purchase_at", "gt": "2025-01-01T00:00:00Z"}},
    ]
}


@pytest.mark.parametrize("compiler", [sql, cypher])
def test_values_are_parameters_never_text(compiler: Any) -> None:
    expr = parse_segment(VALUES)
    for st in (compiler.members(expr, CTX, "after-secret", 10), compiler.count(expr, CTX)):
        for secret in ("Secret", "Hidden", "SECRET", "secret", "2025-01-01", "2025-03-24"):
            assert secret not in st.text
        values = [v for v in st.params.values() if isinstance(v, str)]
        assert "SKU-SECRET" in values and "2025-03-24" in values  # 7 days before as_of
        assert "2025-01-01T00:00:00.000000Z" in values


EXAMPLE_SQL = """\
WITH seg_0 AS MATERIALIZED (SELECT a.person_id AS person_id FROM activity a
WHERE a.kind = $param_0 AND a.target_id = $param_1 AND a.day >= $param_2
GROUP BY a.person_id HAVING sum(a.count) >= $param_3)
SELECT count(*) FROM (SELECT person_id FROM seg_0
INTERSECT
SELECT person_id FROM (SELECT c.person_id AS person_id FROM seg_0 w CROSS JOIN consent c ON c.person_id = w.person_id
WHERE c.purpose = $param_4
GROUP BY c.person_id HAVING max(CASE WHEN c.granted THEN c.at END) > coalesce(max(CASE WHEN NOT c.granted THEN c.at END), ''))
EXCEPT
SELECT person_id FROM (SELECT a.person_id AS person_id FROM seg_0 w CROSS JOIN activity a ON a.person_id = w.person_id
WHERE a.kind = $param_5 AND a.target_id = $param_6
GROUP BY a.person_id HAVING sum(a.count) >= $param_7)
EXCEPT
SELECT person_id FROM (SELECT DISTINCT a.person_id AS person_id FROM seg_0 w CROSS JOIN activity a ON a.person_id = w.person_id
WHERE a.kind = $param_8 AND NOT EXISTS (SELECT 1 FROM activity c WHERE c.person_id = a.person_id AND c.kind = $param_9 AND c.target_id = a.target_id))
EXCEPT
SELECT person_id FROM (SELECT a.person_id AS person_id FROM seg_0 w CROSS JOIN activity a ON a.person_id = w.person_id
WHERE a.kind = $param_10 AND a.target_id = $param_11
GROUP BY a.person_id HAVING sum(a.count) >= $param_12)) AS s
JOIN persons m ON m.person_id = s.person_id AND m.merged_into IS NULL"""  # noqa: E501


def test_the_example_compiles_set_based_from_its_selective_target() -> None:
    """The viewed product (activity_by_target) is computed once; consent and the three
    exclusions start from its persons (by person_id); no universe scan."""
    st = sql.count(parse_segment(EXAMPLE), CTX)
    assert st.text == EXAMPLE_SQL
    assert st.params == {
        "param_0": "VIEWED",
        "param_1": "MATTRESS",
        "param_2": "2025-03-01",
        "param_3": 1,
        "param_4": "ad_personalization",
        "param_5": "PURCHASED",
        "param_6": "MATTRESS",
        "param_7": 1,
        "param_8": "OPENED_CASE",
        "param_9": "CLOSED_CASE",
        "param_10": "EXPOSED_TO",
        "param_11": "WINTER",
        "param_12": 2,
    }


def test_only_pure_negations_start_from_the_universe() -> None:
    st = sql.count(parse_segment({"not": {"bought": {}}}), CTX)
    assert "p.merged_into IS NULL AND EXISTS (SELECT 1 FROM identifiers u" in st.text


@pytest.mark.parametrize("compiler", [sql, cypher])
def test_unresolved_names_are_refused(compiler: Any) -> None:
    with pytest.raises(SegmentError, match="resolved"):
        compiler.count(parse_segment({"in_segment": "vip"}), CTX)


def ingest_example(service: IdentityService) -> dict[str, str]:
    """Anna saw WINTER once on her laptop cookie and once on her phone, viewed the mattress
    and consents; Ben viewed it too but bought it; Cleo viewed it and has an open case."""
    evs = [
        event("identify", userId="anna", anonymousId="laptop", email="anna@example.com"),
        event("identify", userId="anna", anonymousId="phone-app"),
        event(
            "track",
            ts="2025-03-20T10:00:00Z",
            anonymousId="laptop",
            event="Product Viewed",
            properties={"product_id": "MATTRESS"},
            context={"consent": {"categoryPreferences": {"Advertising": True}}},
        ),
        event(
            "track",
            anonymousId="laptop",
            event="Promotion Viewed",
            properties={"campaign_id": "WINTER"},
        ),
        event(
            "track",
            anonymousId="phone-app",
            event="Promotion Viewed",
            properties={"campaign_id": "WINTER"},
        ),
        event(
            "track",
            ts="2025-03-25T10:00:00Z",
            userId="ben",
            anonymousId="ben-cookie",
            event="Product Viewed",
            properties={"product_id": "MATTRESS"},
            context={"consent": {"categoryPreferences": {"Advertising": True}}},
        ),
        event(
            "track",
            userId="ben",
            event="Order Completed",
            properties={"products": [{"product_id": "MATTRESS", "price": 900}]},
        ),
        event(
            "track",
            ts="2025-03-25T10:00:00Z",
            userId="cleo",
            event="Product Viewed",
            properties={"product_id": "MATTRESS"},
            context={"consent": {"categoryPreferences": {"Advertising": True}}},
        ),
        event("track", userId="cleo", event="Case Opened", properties={"case_id": "K1"}),
    ]
    service.ingest_events(evs)
    return {name: person_of(service, f"customer_id:{name}") for name in ("anna", "ben", "cleo")}


def test_exclusions_count_per_person_on_every_store(service: IdentityService) -> None:
    people = ingest_example(service)
    r = reads(service.store)
    without_exposure = {"and": EXAMPLE["and"][:3] + EXAMPLE["and"][4:]}
    expr = parse_segment(without_exposure)
    assert r.segment_members(expr, CTX, None, 10) == [people["anna"]]
    # twice exposed across two identifiers of one person: excluded by the full example
    assert r.segment_count(parse_segment(EXAMPLE), CTX) == 0
    viewers = parse_segment({"viewed": {"product": "MATTRESS"}})
    assert r.segment_members(viewers, CTX, None, 10) == sorted(people.values())
    customers = resolve(parse_segment({"in_segment": "existing_customers"}), {}.get)
    assert r.segment_count(customers, CTX) == 3  # every one has a customer_id
    complaint = resolve(parse_segment({"in_segment": "open_complaint"}), {}.get)
    assert r.segment_members(complaint, CTX, None, 10) == [people["cleo"]]


def test_profile_traits_count_across_identifiers(service: IdentityService) -> None:
    people = ingest_example(service)
    anna = service.person(people["anna"]).traits
    assert anna.exposures == {"WINTER": 2} and anna.exposure_count == 2
    assert anna.consent == {"ad_personalization": True}
    assert anna.device_count == 2 and anna.identifier_count == 4
    ben = service.person(people["ben"]).traits
    assert (ben.purchase_count, ben.purchase_amount, ben.products_bought) == (
        1,
        900.0,
        ["MATTRESS"],
    )
    cleo = service.person(people["cleo"]).traits
    assert cleo.open_cases == ["K1"] and cleo.consent == {"ad_personalization": True}
