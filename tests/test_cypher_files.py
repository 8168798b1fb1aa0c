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

from identity_graph.config import Settings
from identity_graph.errors import StoreError
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import EXPORT_KINDS
from identity_graph.stores.cypher_files import (
    TEMPLATES,
    Query,
    instances,
    names,
    query,
    statements,
    template,
)
from identity_graph.stores.neo4j import Neo4jStore
from identity_graph.stores.neo4j.writes import record_row
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
    "day": "2025-03-01",
    "count": 1,
    "first_at": AT,
    "last_at": AT,
    "amount": 9.5,
}
LINEAGE = {"from_id": "p1", "to_id": "p2", "at": AT, "reason": "linked identifiers"}

RECORD = {
    "source": "crm",
    "record_id": "C1",
    "key": "crm_id:C1",
    "attributes": '{"given_name": "Anna"}',
    "observed_at": AT,
}
CONSENT = {"key": "cookie:c1", "purpose": "ads", "granted": False, "source": "crm", "at": AT}

PROVENANCE = {
    "pk": '["b_1","link","crm","cookie:c1","customer_id:u1"]',
    "batch_id": "b_1",
    "kind": "link",
    "source": "crm",
    "key": "cookie:c1",
    "other": "customer_id:u1",
    "count": 1,
    "amount": 0.0,
    "at": AT,
}
HUB_STATE = {
    "key": "cookie:c1",
    "state": "released",
    "reason": "one family",
    "at": AT,
    "actor": "steward:eva",
}

SEGMENT = {"name": "vip", "body": "{}", "created_at": AT, "updated_at": AT}
API_KEY = {
    "name": "ads",
    "role": "exporter",
    "digest": "0f" * 32,
    "segments": ["vip"],
    "destinations": [],
    "created_at": AT,
    "revoked_at": None,
}
DESTINATION = {
    "name": "ads",
    "platform": "meta",
    "segment": "vip",
    "created_at": AT,
    "gen": 1,
    "last_export_at": AT,
    "lease": None,
    "lease_at": None,
}
LEDGER = {"destination": "ads", "digest": "0f" * 32, "row": '["a"]', "person_id": "p1"}
DELTA = {"destination": "ads", "gen": 2, "after": "", "limit": 500}

PARAMS: dict[str, dict[str, Any]] = {
    "segments": {},
    "segments_named": {"names": ["vip"]},
    "upsert_segments": {"rows": [SEGMENT]},
    "api_keys": {},
    "api_keys_named": {"names": ["ops"]},
    "api_key": {"digest": "0f" * 32},
    "upsert_api_keys": {"rows": [API_KEY]},
    "delete_segments": {"names": ["vip"]},
    "destinations": {},
    "destinations_named": {"names": ["ads"]},
    "upsert_destinations": {"rows": [DESTINATION]},
    "delete_destinations": {"names": ["ads"]},
    "delete_ledgers": {"names": ["ads"]},
    "ledger_seen": {"rows": [{**LEDGER, "gen": 2}]},
    "ledger_send": {"rows": [{"destination": "ads", "gen": 2}]},
    "ledger_drop": {"rows": [{"destination": "ads", "gen": 2}]},
    "ledger_adds": DELTA,
    "ledger_removes": DELTA,
    "ledger_size": {"destination": "ads"},
    "import_ledger": {"rows": [{**LEDGER, "sent_gen": 1, "seen_gen": 2}]},
    "activity": {"keys": ["cookie:c1"]},
    "consent": {"keys": ["cookie:c1"]},
    "add_consent": {"rows": [CONSENT]},
    "import_consent": {"rows": [CONSENT]},
    "upgrade_activity_days": {},
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
                "refs": [{"kind": "identifier", "ref": "crm_id:C1"}],
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
    "audit": {"limit": 100},
    "audit_subject": {"limit": 100, "subject": "crm_id:C1|crm_id:C2"},
    "count_reviews": {},
    "count_reviews_with_status": {"status": "pending"},
    "latest_model": {},
    "links_touching": {"keys": ["cookie:c1"]},
    "reviews": {"limit": 50, "offset": 0, "min_probability": 0.0, "max_probability": 1.0},
    "review_pairs": {"rows": [{"a": "crm_id:C1", "b": "crm_id:C2"}]},
    "reviews_with_status": {
        "status": "pending",
        "limit": 50,
        "offset": 0,
        "min_probability": 0.9,
        "max_probability": 0.96,
    },
    "assign_identifiers": {"rows": [{"key": "cookie:c1", "person_id": "p2"}]},
    "cannot_links": {"ids": ["p1"]},
    "create_links": {"rows": [LINK]},
    "flag_hubs": {"rows": [{"key": "cookie:c1", "reason": "hub limit"}]},
    "hubs": {"limit": 100},
    "hubs_of": {"ids": ["p1"], "limit": 100},
    "merge_persons": {"rows": [{"loser": "p1", "winner": "p2", "target": "p3"}], "at": AT},
    "meta_init": {"version": "3", "salt": "0f" * 32},
    "tombstone_salt": {},
    "set_tombstone_salt": {"salt": "0f" * 32},
    "has_tombstones": {},
    "absorbed": {"ids": ["p1"]},
    "delete_reviews_of": {"keys": ["crm_id:C1"]},
    "delete_refused_merges_of": {"keys": ["cookie:c1"]},
    "delete_unsent_ledger_of": {"rows": [{"destination": "ads", "person_id": "p1"}]},
    "delete_messages_from": {"prefixes": ["crm:C1:"]},
    "meta_read": {},
    "person_links": {"ids": ["p1"]},
    "person_links_across": {"ids": ["p1", "p2"]},
    "identifiers": {"keys": ["cookie:c1"]},
    "members": {"ids": ["p1"]},
    "profile": {"person_id": "p1", "key": None},
    "persons": {"ids": ["p1"]},
    "pair_links": {"rows": [{"a": "cookie:c1", "b": "customer_id:u1"}]},
    "refused_merges_between": {"ids": ["p1", "p2"], "limit": 100},
    "tombstones": {"digests": ["0f" * 32]},
    "add_tombstones": {"rows": [{"digest": "0f" * 32, "at": AT}]},
    "delete_links": {"rows": [{"a": "cookie:c1", "b": "customer_id:u1"}]},
    "delete_identifiers": {"keys": ["cookie:c1"]},
    "delete_persons": {"ids": ["p1"]},
    "upsert_links": {"rows": [LINK]},
    "type_counts": {"ids": ["p1"]},
    "records": {"keys": ["crm_id:C1"]},
    "refused_merges": {"limit": 100},
    "reset": {},
    "reset_relationships": {},
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
    "widen_identifiers": {"rows": [{"key": "cookie:c1", "first_seen": AT, "last_seen": AT}]},
    "upsert_records": {"rows": [record_row(RECORD)]},
    "write_lock": {},
    **{f"export_{kind}": {} for kind in EXPORT_KINDS},
    "export_counts": {},
    "meta_upgrade": {"version": "3"},
    "display_version": {},
    "set_display_version": {"version": "1"},
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
    "import_records": {"rows": [record_row(RECORD)]},
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
    "import_audit": {
        "rows": [
            {
                "seq": 1_000_001,
                "at": AT,
                "actor": "steward:eva",
                "action": "review.approve",
                "subject": "crm_id:C1|crm_id:C2",
                "detail": "{}",
                "refs": [{"kind": "person", "ref": "p1"}],
            }
        ]
    },
    "audit_where": {
        "limit": 100,
        "subject": None,
        "action": "person.merge",
        "since": AT,
        "until": None,
    },
    "audit_mentioning": {
        "limit": 100,
        "subject": None,
        "action": None,
        "since": None,
        "until": AT,
        "person": "p1",
        "members_of": "p1",
        "identifier": "cookie:c1",
    },
    "audit_mentioning_keys": {"keys": ["cookie:c1"]},
    "drop_audit_refs": {"keys": ["cookie:c1"]},
    "lineage": {"ids": ["p1"]},
    "legacy_review_audit": {},
    "upsert_models": {"rows": [{"version": "v1", "created_at": AT, "body": "{}"}]},
    "import_write_lock": {"tx": 2},
    # The graph's lifecycle: provenance, hub decisions, evidence taken back.
    "create_provenance": {"rows": [PROVENANCE]},
    "upsert_provenance": {"rows": [PROVENANCE]},
    "import_provenance": {"rows": [PROVENANCE]},
    "provenance_page": {
        "batch_id": "b_1",
        "after": '["b_1",',
        "prefix_end": '["b_1"-',
        "limit": 2000,
    },
    "provenance_of": {"rows": [{"kind": "link", "key": "cookie:c1", "other": "customer_id:u1"}]},
    "batches": {"limit": 100},
    "batches_of_source": {"source": "crm", "limit": 100},
    "delete_provenance": {"pks": [PROVENANCE["pk"]]},
    "delete_provenance_of": {"keys": ["cookie:c1"]},
    "hub_states": {"keys": ["cookie:c1"]},
    "upsert_hub_states": {"rows": [HUB_STATE]},
    "unflag_hubs": {"keys": ["cookie:c1"]},
    "subtract_activity": {"rows": [{**ACTIVITY, "kind": "PURCHASED", "target_type": "Product"}]},
    "delete_records": {"rows": [{"source": "crm", "record_id": "C1"}]},
    "delete_consent": {"rows": [{"key": "cookie:c1", "purpose": "ads"}]},
}
# These read (or delete) the whole graph, or check that it is empty, on purpose.
WHOLE_GRAPH = {"meta_read", "reset", "reset_relationships", "stats"}
# Upgrades rewrite every row of a kind once, when an older store is opened.
WHOLE_GRAPH |= {"upgrade_activity_days"}
# A copy to another store (migrate) streams every row of a kind, or counts them.
WHOLE_GRAPH |= {f"export_{kind}" for kind in EXPORT_KINDS} | {"export_counts"}
# Every ingest batch's totals: an aggregate over the whole provenance on purpose.
WHOLE_GRAPH |= {"batches"}
# These read one index in its order on purpose (newest first, highest probability first).
INDEX_ORDER = {"audit", "latest_model", "refused_merges", "reviews", "reviews_with_status"}
INDEX_ORDER |= {"audit_where"}
# Every segment or destination, in name order (few rows, read from their index).
INDEX_ORDER |= {"segments", "destinations", "api_keys"}
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


# Templates: the rows of every filling of one template have the same shape.
TEMPLATE_PARAMS: dict[str, dict[str, Any]] = {
    "add_activity": {"rows": [ACTIVITY]},
    "import_activity": {"rows": [ACTIVITY]},
    "add_lineage": {"rows": [LINEAGE]},
    "import_lineage": {"rows": [LINEAGE]},
}
QUERIES: dict[str, tuple[Query, dict[str, Any]]] = {
    **{name: (query(name), params) for name, params in PARAMS.items()},
    **{q.name: (q, TEMPLATE_PARAMS[name]) for name, q in instances()},
}


def test_every_template_has_representative_parameters_and_fills() -> None:
    assert set(TEMPLATES) == set(TEMPLATE_PARAMS)
    assert len(instances()) == 14  # 5 activity kinds and 2 lineage kinds, written and copied


def test_templates_fill_only_checked_names() -> None:
    q = template("add_lineage", kind="SPLIT_FROM")
    assert q.name == "add_lineage[SPLIT_FROM]"
    assert "CREATE (f)-[:`SPLIT_FROM` {at: row.at, reason: row.reason}]->(t)" in q.text
    assert "%%" not in q.text
    activity = template("add_activity", kind="EXPOSED_TO", target="Campaign")
    assert "MERGE (t:`Campaign` {id: row.target_id})" in activity.text
    assert "MERGE (i)-[r:`EXPOSED_TO` {day: row.day}]->(t)" in activity.text
    for bad in ({"kind": "KNOWS"}, {"kind": "SPLIT_FROM`]->() DETACH DELETE (x"}):
        with pytest.raises(StoreError):
            template("add_lineage", **bad)
    with pytest.raises(StoreError):  # a kind with another kind's target
        template("add_activity", kind="PURCHASED", target="Case")
    with pytest.raises(StoreError, match="template"):
        query("add_activity")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_plans_with_indexes_and_without_warnings(driver: neo4j.Driver, name: str) -> None:
    q, params = QUERIES[name]
    summary = explain(driver, q, params)
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
    if name not in WHOLE_GRAPH | INDEX_ORDER:
        # A whole index read per row is a scan too (a pattern with both ends' keys inline
        # planned that way: quadratic in a batch).
        assert "NodeIndexScan" not in used, f"{name} scans a whole index"


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
        ("Purpose", ("name",)),
        ("Segment", ("name",)),
        ("Destination", ("name",)),
        ("LedgerRow", ("destination", "digest")),
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
        ("LedgerRow", ("destination", "seen_gen", "digest")),
    } <= indexes


@pytest.fixture(scope="module")
def large_person_graph(driver: neo4j.Driver, neo4j_uri: str) -> Iterator[neo4j.Driver]:
    """A graph whose statistics differ from the empty one: one person of 10,000 identifiers
    (a star of links), nothing else — no records, no activity. On such a graph the planner
    once read a whole index per batch row for `records` (21 s for a 10,000-identifier
    profile), a plan the empty graph never shows."""
    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    try:
        store.reset()
        service = IdentityService(store, Settings())
        service.ingest_events(
            [
                {
                    "type": "identify",
                    "messageId": f"m{i}",
                    "anonymousId": f"cookie-{i}",
                    "traits": {"email": "big@example.com"},
                }
                for i in range(10_000)
            ]
        )
        yield driver
    finally:
        store.reset()
        store.close()


@pytest.mark.parametrize("name", sorted(set(QUERIES) - WHOLE_GRAPH))
def test_query_plans_stay_indexed_on_a_large_person(
    large_person_graph: neo4j.Driver, name: str
) -> None:
    q, params = QUERIES[name]
    # The planner sizes `UNWIND $list` by the list it is given: plan with a large batch.
    large = {k: v * 10_000 if isinstance(v, list) and v else v for k, v in params.items()}
    used = set(operators(explain(large_person_graph, q, large).plan or {}))
    assert not used & set(SCANS), f"{name} scans: {sorted(used & set(SCANS))}"
    if name not in INDEX_ORDER:
        assert "NodeIndexScan" not in used, f"{name} scans a whole index"
