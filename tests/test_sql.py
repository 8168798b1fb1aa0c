"""Every SQL statement of the embedded store, fixed or generated, runs on a real SQLite
store (EXPLAIN QUERY PLAN: it must parse against the schema and bind its parameters), and
reads of a batch or of a person find their rows through an index, never a table scan.
Generated text is pinned exactly (golden tests), parameters included."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from identity_graph.errors import StoreError
from identity_graph.stores.query import Params, cypher_name, expand, sql_name
from identity_graph.stores.sql import copies, reads, writes
from identity_graph.stores.sqlite import SQLiteStore

_MARKER = re.compile(r"%%([a-z_]+)%%")
# Sample values for each template marker: one row, or a pair of keys as a row value.
_SAMPLES: dict[str, list[object]] = {
    "keys": ["cookie:c1", "email:a@x.io"],
    "ids": ["p1", "p2"],
    "digests": ["d1"],
    "pairs": [("cookie:c1", "email:a@x.io")],
    "names": ["vip", "churned"],
    "items": [("link", "cookie:c1", "email:a@x.io")],
}


def _statements() -> Iterator[tuple[str, str]]:
    for module in (reads, writes):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and not name.endswith("_COLUMNS"):
                yield f"{module.__name__.rsplit('.', 1)[1]}.{name}", value
    for i, sql in enumerate(writes.RESET):
        yield f"writes.RESET[{i}]", sql
    for kind, sql in copies.SCANS.items():
        yield f"copies.SCANS[{kind}]", sql
    for kind, sql in copies.IMPORTS.items():
        yield f"copies.IMPORTS[{kind}]", sql
    yield "copies.ROW_COUNTS", copies.ROW_COUNTS


STATEMENTS = dict(_statements())
# These read or empty whole tables on purpose (a copy, counts, reset, the schema marker),
# or read one table's newest rows in its order (LIMIT n).
WHOLE_TABLE = {name for name in STATEMENTS if name.startswith(("copies.", "writes.RESET"))} | {
    "reads.STATS",
    "reads.TABLES",
    "reads.LATEST_MODEL",
    "reads.REFUSED_MERGES",
    "reads.AUDIT",
    "reads.REVIEWS",
    "reads.COUNT_REVIEWS",
    "reads.SEGMENTS",
    "reads.DESTINATIONS",
    "reads.API_KEYS",
    # Erasure: whether any tombstone exists (the scan stops at the first row).
    "reads.HAS_TOMBSTONES",
    # Every ingest batch's totals: an aggregate over the whole provenance on purpose.
    "reads.BATCHES",
}


# The batch's own VALUES rows, and partial indexes that hold only the few rows wanted.
_NOT_A_SCAN = (
    "SCAN CONSTANT ROW",
    "SCAN p",
    "USING INDEX identifiers_hubs",
    "USING INDEX identifiers_hubs_by_person",
    "USING INDEX links_cannot",
    "USING INDEX audit_legacy_reviews",
    "SCAN up",  # the recursive CTE's own queue of found IDs (reads.ABSORBED_IN)
)


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("sql") / "graph.db"
    SQLiteStore(f"sqlite:///{path}").close()  # creates the schema
    c = sqlite3.connect(Path(path))
    yield c
    c.close()


def _bind(text: str) -> dict[str, object] | tuple[object, ...]:
    named = re.findall(r"\$([a-z_0-9]+)", text)
    if named:
        return dict.fromkeys(named)
    numbered = [int(n) for n in re.findall(r"\?(\d+)", text)]
    return (None,) * (max(numbered) if numbered else text.count("?"))


def _plan(conn: sqlite3.Connection, text: str) -> list[str]:
    return [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + text, _bind(text))]


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_runs_and_reads_through_indexes(
    conn: sqlite3.Connection, name: str
) -> None:
    text = STATEMENTS[name]
    markers = set(_MARKER.findall(text))
    if markers:
        own = dict.fromkeys(re.findall(r"\$([a-z]+)\b", text))
        st = expand(name, text, lists={m: _SAMPLES[m] for m in markers}, params=own)
        text = st.text
        plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + text, dict(st.params))]
    else:
        plan = _plan(conn, text)
    assert "%%" not in text
    if name not in WHOLE_TABLE:
        scans = [p for p in plan if p.startswith("SCAN ") and not p.endswith(_NOT_A_SCAN)]
        assert scans == [], f"{name} scans: {scans}\n{text}"


def test_person_links_walk_from_the_persons_identifiers() -> None:
    st = expand("person_links", reads.PERSON_LINKS_IN, lists={"ids": ["p1"]})
    assert st.text.endswith(
        "FROM identifiers i CROSS JOIN links l ON l.a = i.key "
        "CROSS JOIN identifiers j ON j.key = l.b "
        "WHERE i.person_id IN ($param_0) AND j.person_id = i.person_id ORDER BY l.a, l.b"
    )
    assert st.params == {"param_0": "p1"}


def test_golden_in_list() -> None:
    st = expand("seen_messages", reads.SEEN_MESSAGES_IN, lists={"ids": ["m1", "m2", "m3"]})
    assert st == type(st)(
        "seen_messages",
        "SELECT message_id FROM messages WHERE message_id IN ($param_0, $param_1, $param_2)",
        {"param_0": "m1", "param_1": "m2", "param_2": "m3"},
    )


def test_golden_repeated_marker_binds_one_set_of_parameters() -> None:
    st = expand(
        "refused_merges_between",
        reads.REFUSED_MERGES_BETWEEN_IN,
        lists={"ids": ["p1", "p2"]},
        params={"limit": 10},
    )
    assert st.text == (
        "SELECT a, b, person_a, person_b, rule, reason, at FROM refused_merges "
        "WHERE person_a IN ($param_0, $param_1) AND person_b IN ($param_0, $param_1) "
        "ORDER BY id DESC LIMIT $limit"
    )
    assert st.params == {"limit": 10, "param_0": "p1", "param_1": "p2"}


def test_golden_row_values() -> None:
    st = expand("pair_links", reads.PAIR_LINKS_IN, lists={"pairs": [("a", "b"), ("a", "c")]})
    assert st.text.startswith(
        "WITH p(a, b) AS (VALUES ($param_0, $param_1), ($param_2, $param_3)) SELECT "
    )
    assert st.params == {"param_0": "a", "param_1": "b", "param_2": "a", "param_3": "c"}


def test_values_never_reach_the_text() -> None:
    evil = "x') OR 1=1 --"
    st = expand("identifiers", reads.IDENTIFIERS_IN, lists={"keys": [evil]})
    assert evil not in st.text and st.params == {"param_0": evil}


def test_markers_must_all_be_filled_and_only_markers() -> None:
    with pytest.raises(StoreError, match="markers"):
        expand("x", "SELECT 1 WHERE a IN (%%keys%%)")
    with pytest.raises(StoreError, match="markers"):
        expand("x", "SELECT 1", lists={"keys": ["a"]})
    with pytest.raises(StoreError, match="twice"):
        expand(
            "x",
            "SELECT $param_0 WHERE a IN (%%keys%%)",
            lists={"keys": ["a"]},
            params={"param_0": 1},
        )
    with pytest.raises(StoreError):
        Params()._row("not a row")


def test_names_are_checked_against_a_closed_set() -> None:
    assert sql_name("links", {"links"}) == '"links"'
    assert cypher_name("PURCHASED", {"PURCHASED"}) == "`PURCHASED`"
    for bad in ("links; DROP TABLE links", "Links", "persons"):
        with pytest.raises(StoreError):
            sql_name(bad, {"links", "links; DROP TABLE links", "Links"})
    for bad in ("KNOWS", "PURCHASED`]->() DELETE (x"):
        with pytest.raises(StoreError):
            cypher_name(bad, {"PURCHASED", "PURCHASED`]->() DELETE (x"})
    st = expand(
        "x", "MATCH (i)-[r:%%kind%%]->(t)", names={"kind": cypher_name("VIEWED", {"VIEWED"})}
    )
    assert st.text == "MATCH (i)-[r:`VIEWED`]->(t)" and st.params == {}


def test_activity_and_consent_follow_their_identifier_to_its_person(tmp_path: Path) -> None:
    """The denormalized person_id of activity and consent (what segments count by) stays
    equal to the identifier's person through merges and hub splits."""
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService
    from tests.helpers import event, login

    store = SQLiteStore(f"sqlite:///{tmp_path / 'g.db'}")
    service = IdentityService(store, Settings())
    view = {"event": "Product Viewed", "properties": {"product_id": "p1"}}
    consent = {"consent": {"categoryPreferences": {"Advertising": True}}}
    service.ingest_events(
        [event("track", anonymousId=f"c{i}", context=consent, **view) for i in range(4)]
    )
    # Each cookie logs in (a merge of the cookie's person into the login's), then one shared
    # cookie joins them all until it is flagged a hub (a split).
    service.ingest_events([login(f"u{i}", f"c{i}", email=f"u{i}@x.org") for i in range(4)])
    service.ingest_events([login(f"u{i}", "shared") for i in range(4)])
    conn = sqlite3.connect(tmp_path / "g.db")
    for table in ("activity", "consent"):
        stale = conn.execute(
            f"SELECT count(*) FROM {table} t JOIN identifiers i ON i.key = t.key "
            "WHERE t.person_id IS NOT i.person_id"
        ).fetchone()
        total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert stale == (0,) and total[0] >= 4, table
    assert reads_hubs(store)
    store.close()


def reads_hubs(store: SQLiteStore) -> bool:
    with store.reader() as r:
        return bool(r.hubs())
