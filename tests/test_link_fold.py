"""The link fold (graph/links.py) gives exactly what the stores computed before the core
folded links: the reference is the embedded store's former upsert, run on SQLite one
evidence row at a time."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from identity_graph.graph.links import LinkEvidence, fold_links
from identity_graph.stores.rows import LinkRow

AT = "2025-01-01T00:00:00.000000Z"

# The upsert SQLiteTx.apply ran per evidence row before the fold moved into the core, with
# one rule added since (issue 12): a steward's kind stays.
_REFERENCE_UPSERT = (
    "INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (a, b) DO UPDATE SET "
    "count = count + excluded.count, "
    "status = CASE WHEN excluded.status != 'active' THEN excluded.status ELSE status END, "
    "kind = CASE WHEN kind = 'steward' THEN kind "
    "WHEN excluded.weight >= weight THEN excluded.kind ELSE kind END, "
    "weight = max(weight, excluded.weight), "
    "evidence = CASE WHEN excluded.evidence != '{}' THEN excluded.evidence ELSE evidence END, "
    "sources = CASE WHEN instr(',' || sources || ',', ',' || excluded.sources || ',') "
    "THEN sources ELSE sources || ',' || excluded.sources END, "
    "first_seen = min(first_seen, excluded.first_seen), "
    "last_seen = max(last_seen, excluded.last_seen)"
)


def _reference(
    stored: list[LinkRow], evidence: list[LinkEvidence]
) -> dict[tuple[str, str], LinkRow]:
    c = sqlite3.connect(":memory:")
    c.execute(
        "CREATE TABLE links (a, b, weight, kind, sources, evidence, count, first_seen, "
        "last_seen, status, PRIMARY KEY (a, b))"
    )
    for r in stored:
        values = {**{f: getattr(r, f) for f in r.__slots__}, "sources": ",".join(r.sources)}
        c.execute("INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tuple(values.values()))
    for e in evidence:
        c.execute(
            _REFERENCE_UPSERT,
            (
                e.a,
                e.b,
                e.weight,
                e.kind,
                e.source,
                e.evidence,
                e.count,
                e.first_seen,
                e.last_seen,
                e.status,
            ),
        )
    return {
        (a, b): LinkRow(a, b, w, k, s.split(","), ev, n, f, la, status)
        for a, b, w, k, s, ev, n, f, la, status in c.execute("SELECT * FROM links")
    }


def test_rows_of_one_pair_fold_as_if_applied_in_order() -> None:
    rows = [
        LinkEvidence("a", "b", 0.5, "probabilistic", "crm", 1, AT, AT, '{"name": 0.9}'),
        LinkEvidence("a", "b", 1.0, "deterministic", "web", 2, "2024-01-01", AT),
        LinkEvidence("a", "b", 1.0, "steward", "crm", 1, AT, "2026-01-01", status="cannot_link"),
        LinkEvidence("a", "c", 1.0, "deterministic", "web", 1, AT, AT),
    ]
    folded = fold_links(rows, {})
    assert list(folded) == [("a", "b"), ("a", "c")]
    assert folded[("a", "b")] == LinkRow(
        "a",
        "b",
        1.0,
        "steward",
        ["crm", "web"],
        '{"name": 0.9}',
        4,
        "2024-01-01",
        "2026-01-01",
        "cannot_link",
    )
    assert folded[("a", "c")].count == 1


def test_the_stored_link_is_folded_in_and_left_untouched() -> None:
    stored = LinkRow("a", "b", 1.0, "steward", ["steward"], '{"d": 1}', 3, AT, AT, "cannot_link")
    (row,) = fold_links(
        [LinkEvidence("a", "b", 1.0, "deterministic", "web", 1, AT, "2026-01-01")],
        {("a", "b"): stored},
    ).values()
    # A steward's kind stays whatever evidence comes later (a must-link keeps stitching
    # through hubs; a cannot-link stays the steward's).
    assert row == LinkRow(
        "a",
        "b",
        1.0,
        "steward",
        ["steward", "web"],
        '{"d": 1}',
        4,
        AT,
        "2026-01-01",
        "cannot_link",
    )
    assert stored.count == 3 and stored.sources == ["steward"]


_times = st.sampled_from(["2024-01-01", "2025-01-01", "2026-01-01"])
_evidence = st.builds(
    lambda pair, weight, kind, source, count, t1, t2, ev, status: LinkEvidence(
        *pair, weight, kind, source, count, min(t1, t2), max(t1, t2), ev, status
    ),
    st.sampled_from([("a", "b"), ("a", "c"), ("b", "c")]),
    st.sampled_from([0.0, 0.5, 0.97, 1.0]),
    st.sampled_from(["deterministic", "probabilistic", "steward"]),
    st.sampled_from(["web", "crm", "match"]),
    st.integers(1, 5),
    _times,
    _times,
    st.sampled_from(["{}", '{"x": 1}', '{"y": 2}']),
    st.sampled_from(["active", "active", "cannot_link", "refused"]),
)
_stored = st.lists(
    st.builds(
        lambda pair, weight, kind, sources, count, t, status: LinkRow(
            *pair, weight, kind, sources, "{}", count, t, t, status
        ),
        st.sampled_from([("a", "b"), ("b", "c")]),
        st.sampled_from([0.5, 1.0]),
        st.sampled_from(["deterministic", "probabilistic"]),
        st.lists(st.sampled_from(["web", "crm"]), min_size=1, max_size=2, unique=True),
        st.integers(1, 5),
        _times,
        st.sampled_from(["active", "refused"]),
    ),
    max_size=2,
    unique_by=lambda r: (r.a, r.b),
)


@given(_stored, st.lists(_evidence, max_size=12))
def test_fold_equals_the_former_store_upsert(
    stored: list[LinkRow], evidence: list[LinkEvidence]
) -> None:
    folded = fold_links(evidence, {r.pair: r for r in stored})
    reference = _reference(stored, evidence)
    assert folded == {pair: row for pair, row in reference.items() if pair in folded}
    assert set(reference) == set(folded) | {r.pair for r in stored}


@given(_stored, st.lists(_evidence, max_size=12), st.integers(0, 12))
def test_batch_boundaries_do_not_matter(
    stored: list[LinkRow], evidence: list[LinkEvidence], cut: int
) -> None:
    before = {r.pair: r for r in stored}
    whole = fold_links(evidence, before)
    first = fold_links(evidence[:cut], before)
    second = fold_links(evidence[cut:], {**before, **first})
    assert {**first, **second} == whole
