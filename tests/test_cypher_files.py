"""Every Cypher text the Neo4j store runs is EXPLAINed against a real Neo4j 5.26.

Each named query file is planned with representative parameters: it must parse, plan
without performance notifications (e.g. a cartesian product) and, unless it reads the whole
graph on purpose, find its start nodes through an index rather than a scan. `schema.cypher`
(DDL) is executed: it is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest

from identity_graph.stores.contract import EXPORT_KINDS
from identity_graph.stores.cypher_files import Query, names, query, statements
from tests.neo4j_server import auth_from_env

pytestmark = pytest.mark.neo4j

AT = "2025-03-01T10:00:00.000000Z"
LINK = {
    "a": "cookie:c1",
    "b": "customer_id:u1",
    "weight": 1.0,
    "kind": "deterministic",
    "sources": ["segment:identify"],
    "evidence": "{}",
    "count": 1,
    "first_seen": AT,
    "last_seen": AT,
    "status": "active",
}
ACTIVITY = {
    "key": "cookie:c1",
    "target_id": "p1",
    "count": 1,
    "first_at": AT,
    "last_at": AT,
    "amount": 9.5,
}
LINEAGE = {"from_id": "p1", "to_id": "p2", "at": AT, "reason": "linked identifiers"}

PARAMS: dict[str, dict[str, Any]] = {
    "activity": {"keys": ["cookie:c1"]},
    "activity_closed_case": {"rows": [ACTIVITY]},
    "activity_exposed_to": {"rows": [ACTIVITY]},
    "activity_opened_case": {"rows": [ACTIVITY]},
    "activity_purchased": {"rows": [ACTIVITY]},
    "activity_viewed": {"rows": [ACTIVITY]},
    "add_messages": {"rows": [{"id": "m-1", "at": AT}]},
    "add_persons": {"rows": [{"person_id": "p1", "created_at": AT, "updated_at": AT}]},
    "add_audit": {
        "rows": [
            {
                "at": AT,
                "actor": "steward:eva",
                "action": "review.approve",
                "subject": "crm_id:C1|crm_id:C2",
                "detail": "{}",
                "seq": 1_000_001,
            }
        ]
    },
    "add_refused_merges": {
        "rows": [
            {
                "a": "cookie:c1",
                "b": "customer_id:u2",
                "person_a": "p1",
                "person_b": "p2",
                "rule": "type_limit:customer_id",
                "reason": "would give one person 2 customer_id identifiers (limit 1)",
                "at": AT,
                "seq": 1_000_000,
            }
        ]
    },
    "all_records": {},
    "audit_log": {"limit": 100},
    "audit_log_subject": {"limit": 100, "subject": "crm_id:C1|crm_id:C2"},
    "count_reviews": {},
    "count_reviews_with_status": {"status": "pending"},
    "latest_model": {},
    "links_touching": {"keys": ["cookie:c1"]},
    "reviews": {"limit": 50, "offset": 0, "min_probability": 0.0, "max_probability": 1.0},
    "reviews_by_pair": {"rows": [{"a": "crm_id:C1", "b": "crm_id:C2"}]},
    "reviews_with_status": {
        "status": "pending",
        "limit": 50,
        "offset": 0,
        "min_probability": 0.9,
        "max_probability": 0.96,
    },
    "save_model": {"version": "v1", "created_at": AT, "body": "{}"},
    "upsert_reviews": {
        "rows": [
            {
                "a": "crm_id:C1",
                "b": "crm_id:C2",
                "probability": 0.93,
                "evidence": "{}",
                "fingerprint": "f",
                "status": "pending",
                "created_at": AT,
                "decided_at": None,
                "decided_by": None,
                "comment": None,
            }
        ]
    },
    "assign_identifiers": {"rows": [{"key": "cookie:c1", "person_id": "p2"}]},
    "assignments": {},
    "cannot_links": {"ids": ["p1"]},
    "create_links": {"rows": [LINK]},
    "flag_hubs": {"rows": [{"key": "cookie:c1", "reason": "hub limit"}]},
    "hubs": {"limit": 100},
    "identifier": {"key": "cookie:c1"},
    "identifier_states": {"keys": ["cookie:c1"]},
    "lineage_merged_into": {"rows": [LINEAGE]},
    "lineage_split_from": {"rows": [LINEAGE]},
    "link_statuses": {"rows": [{"a": "cookie:c1", "b": "customer_id:u1"}]},
    "merge_persons": {"rows": [{"loser": "p1", "winner": "p2", "target": "p3"}], "at": AT},
    "meta_init": {"version": "1"},
    "meta_read": {},
    "person": {"person_id": "p1"},
    "person_identifiers": {"person_id": "p1"},
    "person_links": {"person_id": "p1"},
    "person_members": {"person_id": "p1"},
    "person_type_counts": {"ids": ["p1"]},
    "records": {"keys": ["crm_id:C1"]},
    "refuse_links": {"rows": [{"a": "cookie:c1", "b": "customer_id:u1"}]},
    "refused_merges": {"limit": 100},
    "reset": {},
    "seen_messages": {"ids": ["m-1"]},
    "set_joined": {"rows": [{"key": "cookie:c1", "persons": ["p2", "p3"]}]},
    "stats": {},
    "touch_persons": {"ids": ["p1"], "at": AT},
    "create_identifiers": {
        "rows": [
            {
                "key": "cookie:c1",
                "type": "cookie",
                "value": "c1",
                "first_seen": AT,
                "last_seen": AT,
                "person_id": "p1",
                "label": "Cookie",
            }
        ]
    },
    "upsert_links": {"rows": [LINK]},
    "widen_identifiers": {"rows": [{"key": "cookie:c1", "first_seen": AT, "last_seen": AT}]},
    "upsert_records": {
        "rows": [
            {
                "source": "crm",
                "record_id": "C1",
                "key": "crm_id:C1",
                "attributes": '{"given_name": "Anna"}',
                "observed_at": AT,
            }
        ]
    },
    "write_lock": {},
    **{f"export_{kind}": {} for kind in EXPORT_KINDS},
    "export_counts": {},
    "import_messages": {"rows": [{"message_id": "m-1", "at": AT}]},
    "import_persons": {
        "rows": [{"person_id": "p1", "created_at": AT, "updated_at": AT, "merged_into": None}]
    },
    "import_identifiers": {
        "rows": [
            {
                "key": "cookie:c1",
                "type": "cookie",
                "value": "c1",
                "person_id": "p1",
                "first_seen": AT,
                "last_seen": AT,
                "is_hub": False,
                "hub_reason": None,
                "joined": [],
                "label": "Cookie",
            }
        ]
    },
    "import_links": {"rows": [LINK]},
    "import_lineage_merged_into": {"rows": [LINEAGE]},
    "import_lineage_split_from": {"rows": [LINEAGE]},
    **{
        f"import_activity_{name}": {"rows": [ACTIVITY]}
        for name in ("purchased", "viewed", "exposed_to", "opened_case", "closed_case")
    },
    "import_records": {
        "rows": [
            {
                "source": "crm",
                "record_id": "C1",
                "key": "crm_id:C1",
                "attributes": "{}",
                "observed_at": AT,
            }
        ]
    },
    "import_refused_merges": {
        "rows": [
            {
                "seq": 1_000_001,
                "a": "cookie:c1",
                "b": "customer_id:u1",
                "person_a": "p1",
                "person_b": "p2",
                "rule": "max_per_type",
                "reason": "two crm IDs",
                "at": AT,
            }
        ]
    },
    "import_reviews": {
        "rows": [
            {
                "a": "crm_id:C1",
                "b": "crm_id:C2",
                "probability": 0.93,
                "evidence": "{}",
                "fingerprint": "f",
                "status": "pending",
                "created_at": AT,
                "decided_at": None,
                "decided_by": None,
                "comment": None,
            }
        ]
    },
    "import_audit": {
        "rows": [
            {
                "seq": 1_000_001,
                "at": AT,
                "actor": "steward:eva",
                "action": "review.approve",
                "subject": "crm_id:C1|crm_id:C2",
                "detail": "{}",
            }
        ]
    },
    "import_models": {"rows": [{"version": "v1", "created_at": AT, "body": "{}"}]},
    "import_write_lock": {"tx": 2},
}
# These read (or delete) the whole graph, or check that it is empty, on purpose.
WHOLE_GRAPH = {"all_records", "assignments", "meta_read", "reset", "stats"}
# A copy to another store (migrate) streams every row of a kind, or counts them.
WHOLE_GRAPH |= {f"export_{kind}" for kind in EXPORT_KINDS} | {"export_counts"}
SCANS = (
    "AllNodesScan",
    "NodeByLabelScan",
    "UnionNodeByLabelsScan",
    "DirectedRelationshipTypeScan",
    "UndirectedRelationshipTypeScan",
    "DirectedAllRelationshipsScan",
    "UndirectedAllRelationshipsScan",
)


@pytest.fixture(scope="module")
def driver(neo4j_uri: str) -> Iterator[neo4j.Driver]:
    auth = auth_from_env()
    with neo4j.GraphDatabase.driver(
        neo4j_uri, auth=neo4j.basic_auth(*auth) if auth is not None else None
    ) as d:
        for statement in statements("schema"):
            d.execute_query(statement.text)
        yield d


def operators(plan: dict[str, Any]) -> Iterator[str]:
    yield str(plan["operatorType"]).split("@")[0]
    for child in plan.get("children", []):
        yield from operators(child)


def explain(driver: neo4j.Driver, q: Query, params: dict[str, Any]) -> neo4j.ResultSummary:
    # An auto-commit transaction: `CALL { ... } IN TRANSACTIONS` (reset) needs one.
    with driver.session() as session:
        return session.run("EXPLAIN " + q.text, params).consume()  # type: ignore[operator]


def test_every_query_file_has_representative_parameters() -> None:
    assert set(names()) - {"schema"} == set(PARAMS)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_query_plans_with_indexes_and_without_warnings(driver: neo4j.Driver, name: str) -> None:
    q = query(name)
    summary = explain(driver, q, PARAMS[name])
    assert summary.plan is not None
    notes = [
        (s.gql_status, s.status_description)
        for s in summary.gql_status_objects
        if s.is_notification
        and s.classification is not neo4j.NotificationClassification.UNRECOGNIZED
    ]
    assert notes == [], f"{name}: {notes}"
    used = set(operators(summary.plan))
    if name not in WHOLE_GRAPH:
        assert not used & set(SCANS), f"{name} scans: {sorted(used & set(SCANS))}"


def test_schema_statements_apply_idempotently(driver: neo4j.Driver) -> None:
    for statement in statements("schema"):
        driver.execute_query(statement.text)  # a second time: IF NOT EXISTS, no error
    constraints = {
        (r["labelsOrTypes"][0], tuple(r["properties"]))
        for r in driver.execute_query("SHOW CONSTRAINTS YIELD labelsOrTypes, properties").records
    }
    assert {
        ("Identifier", ("key",)),
        ("Person", ("person_id",)),
        ("Message", ("message_id",)),
        ("Record", ("source", "record_id")),
        ("Meta", ("name",)),
        ("Review", ("a", "b")),
        ("MatchModel", ("version",)),
    } <= constraints
    indexes = {
        (r["labelsOrTypes"][0], tuple(r["properties"]))
        for r in driver.execute_query(
            "SHOW INDEXES YIELD labelsOrTypes, properties WHERE properties IS NOT NULL"
        ).records
    }
    assert {
        ("Identifier", ("is_hub",)),
        ("RefusedMerge", ("seq",)),
        ("Audit", ("seq",)),
        ("Review", ("status", "probability")),
        ("LINKED", ("status",)),
    } <= indexes
