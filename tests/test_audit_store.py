"""The audit trail's store side, on every store: the index by person and identifier built
at append time, filtered reads, `ChangeSet.redact_audit`, copies; and the lineage read."""

from __future__ import annotations

import json
import sqlite3

import pytest

from identity_graph.audit import (
    AuditFilter,
    decode_pair,
    detail,
    pair_subject,
    person_subject,
    redact,
)
from identity_graph.ids import IdentifierKey as K
from identity_graph.ids import PersonId as P
from identity_graph.ids import pair_id
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import (
    AuditRow,
    ChangeSet,
    LineageRow,
    NewIdentifierRow,
    Person,
)
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import reads

T0 = "2025-01-01T00:00:00.000000Z"
T1 = "2025-02-01T00:00:00.000000Z"
T2 = "2025-03-01T00:00:00.000000Z"


def _row(at: str, action: str, subject: str, persons: list[str], keys: list[str]) -> AuditRow:
    return AuditRow(
        at, "stewie", action, subject, detail(reason="r", persons=persons, identifiers=keys)
    )


@pytest.fixture
def trail(store: GraphStore) -> GraphStore:
    """p1 = {cookie:a, email:a@x.io}, p2 = {cookie:b}; three audit rows."""
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T0,
                persons=[Person(P("p1"), T0, T0), Person(P("p2"), T0, T0)],
                new_identifiers=[
                    NewIdentifierRow(K("cookie:a"), "cookie", "a", T0, T0, P("p1")),
                    NewIdentifierRow(K("email:a@x.io"), "email", "a@x.io", T0, T0, P("p1")),
                    NewIdentifierRow(K("cookie:b"), "cookie", "b", T0, T0, P("p2")),
                ],
                audit=[
                    _row(
                        T0,
                        "review.approve",
                        pair_subject("cookie:b", "cookie:a"),
                        [],
                        ["cookie:a", "cookie:b"],
                    ),
                    _row(T1, "person.merge", person_subject("p1"), ["p1", "p9"], []),
                ],
            )
        )
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T2,
                audit=[_row(T2, "consent.withdraw", person_subject("p2"), ["p2"], ["cookie:b"])],
            )
        )
    return store


def _subjects(store: GraphStore, **where: object) -> list[str]:
    rows = reads(store).audit(100, None, AuditFilter(**where))  # type: ignore[arg-type]
    return [r.subject for r in rows]


def test_audit_by_person_identifier_action_and_time(trail: GraphStore) -> None:
    pair = "cookie:a <-> cookie:b"
    assert _subjects(trail) == ["person:p2", "person:p1", pair]
    assert _subjects(trail, person="p1") == ["person:p1"]
    # A person's rows include those naming one of its identifiers now.
    assert _subjects(trail, person="p1", members_of="p1") == ["person:p1", pair]
    assert _subjects(trail, person="p9") == ["person:p1"]
    assert _subjects(trail, identifier="cookie:b") == ["person:p2", pair]
    assert _subjects(trail, person="p2", members_of="p2", identifier="cookie:a") == [pair]
    assert _subjects(trail, action="person.merge") == ["person:p1"]
    assert _subjects(trail, since=T1) == ["person:p2", "person:p1"]
    assert _subjects(trail, until=T1) == [pair]
    assert _subjects(trail, identifier="cookie:b", since=T1, until=T2) == []
    assert _subjects(trail, identifier="cookie:b", action="review.approve") == [pair]
    assert _subjects(trail, subject=pair) == [pair]
    assert _subjects(trail, person="nobody", members_of="nobody") == []
    assert [r.subject for r in reads(trail).audit(1)] == ["person:p2"]
    assert [r.subject for r in reads(trail).audit(10, "person:p1")] == ["person:p1"]


def test_redact_audit_rewrites_every_mention_and_the_index(trail: GraphStore) -> None:
    with trail.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T2,
                audit=[_row(T2, "evidence.remove_identifier", "cookie:b", ["p2"], ["cookie:b"])],
                redact_audit={"cookie:b": "erased:0123456789abcdef"},  # type: ignore[dict-item]
            )
        )
    rows = reads(trail).audit(100)
    text = json.dumps([[r.subject, r.detail] for r in rows])
    assert "cookie:b" not in text
    assert [r.subject for r in rows] == [
        "erased:0123456789abcdef",
        "person:p2",
        "person:p1",
        "cookie:a <-> erased:0123456789abcdef",
    ]
    assert json.loads(rows[-1].detail)["identifiers"] == ["cookie:a", "erased:0123456789abcdef"]
    assert _subjects(trail, identifier="cookie:b") == []
    assert len(_subjects(trail, identifier="erased:0123456789abcdef")) == 3
    assert _subjects(trail, identifier="cookie:a") == ["cookie:a <-> erased:0123456789abcdef"]
    assert reads(trail).row_counts()["audit"] == 4
    assert "cookie:b" not in _stored_index_text(trail)


def _stored_index_text(store: GraphStore) -> str:
    """Every index entry as the store holds it, whatever reads would show: an erased key
    must not survive in a side table or an orphaned Neo4j node."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as c:
            return repr(c.execute("SELECT kind, ref, audit_id FROM audit_refs").fetchall())
    from identity_graph.stores.neo4j import Neo4jStore

    assert isinstance(store, Neo4jStore)
    records, _, _ = store._driver.execute_query(  # the store's own driver: tests only
        "MATCH (r:AuditRef) RETURN r.kind AS kind, r.ref AS ref"
    )
    return repr([(r["kind"], r["ref"]) for r in records])


def test_redact_leaves_longer_keys_alone_and_reaches_free_text() -> None:
    body = detail(
        reason="cookie:b was a shared tablet",
        persons=["p1"],
        identifiers=["cookie:b", "cookie:bb"],
        before={"persons": {"p1": ["cookie:b", "cookie:bb"]}},
    )
    subject, text = redact("cookie:b <-> cookie:bb", body, {"cookie:b": "erased:x"})
    assert subject == "erased:x <-> cookie:bb"
    got = json.loads(text)
    assert got["identifiers"] == ["erased:x", "cookie:bb"]
    assert got["before"] == {"persons": {"p1": ["erased:x", "cookie:bb"]}}
    assert got["reason"] == "erased:x was a shared tablet"


def test_a_copied_trail_is_indexed_again(trail: GraphStore) -> None:
    with trail.reader() as r:
        rows = list(r.scan("audit"))
    with trail.unit_of_work() as tx:
        tx.import_rows("audit", rows)  # again: changes nothing
    assert _subjects(trail, identifier="cookie:b") == ["person:p2", "cookie:a <-> cookie:b"]
    assert reads(trail).row_counts()["audit"] == 3
    trail.reset()
    assert _subjects(trail, identifier="cookie:b") == []
    with trail.unit_of_work() as tx:
        tx.import_rows("audit", rows)
    assert _subjects(trail, identifier="cookie:b") == ["person:p2", "cookie:a <-> cookie:b"]
    assert _subjects(trail, person="p9") == ["person:p1"]
    with trail.unit_of_work() as tx:  # numbering goes on after the copied rows
        tx.apply(ChangeSet(at=T2, audit=[_row(T2, "x", "later", ["p9"], [])]))
    assert _subjects(trail, person="p9") == ["later", "person:p1"]


def test_rows_without_the_lists_are_stored_and_indexed_by_nothing(store: GraphStore) -> None:
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T0,
                audit=[
                    AuditRow(T0, "a", "key.create", "api_key:x", '{"role": "reader"}'),
                    AuditRow(T0, "a", "odd", "s", "not json"),
                    AuditRow(T0, "a", "odd", "s", '{"persons": "p1", "identifiers": [1]}'),
                ],
            )
        )
    assert len(reads(store).audit(10)) == 3
    assert _subjects(store, person="p1") == []


def test_lineage_reads_the_edges_of_persons(store: GraphStore) -> None:
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T0,
                persons=[Person(P(p), T0, T0) for p in ("p1", "p2", "p3", "p4")],
                lineage=[
                    LineageRow(P("p2"), P("p1"), "SPLIT_FROM", T1, "hub"),
                    LineageRow(P("p3"), P("p2"), "MERGED_INTO", T2, "linked identifiers"),
                    LineageRow(P("p4"), P("p3"), "SPLIT_FROM", T0, "early"),
                ],
            )
        )
    got = reads(store).lineage(["p2", "p1"])
    assert [(r.from_id, r.to_id, r.kind, r.at, r.reason) for r in got] == [
        ("p2", "p1", "SPLIT_FROM", T1, "hub"),
        ("p3", "p2", "MERGED_INTO", T2, "linked identifiers"),
    ]
    assert [r.from_id for r in reads(store).lineage(["p3"])] == ["p4", "p3"]
    assert reads(store).lineage(["nobody"]) == []
    assert reads(store).lineage([]) == []


def test_redact_rewrites_old_review_decisions_with_opaque_pair_subjects(
    store: GraphStore,
) -> None:
    """Rows recorded before subjects were readable: the pair ID encodes both keys."""
    old = pair_id("email:gone@x.io", "cookie:z")
    other = pair_id("cookie:y", "cookie:z")
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=T0,
                audit=[
                    AuditRow(T0, "eva", "review.approve", old, '{"decision": "approve"}'),
                    AuditRow(T0, "eva", "review.reject", other, '{"decision": "reject"}'),
                ],
            )
        )
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=T1, redact_audit={K("email:gone@x.io"): "erased:ab"}))
    subjects = [r.subject for r in reads(store).audit(10)]
    assert subjects == [other, "cookie:z <-> erased:ab"]
    assert decode_pair(other) == ("cookie:y", "cookie:z")
