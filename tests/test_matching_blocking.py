"""Blocking: union without double counting, block-size cap, incremental candidates."""

from __future__ import annotations

import itertools

import jellyfish
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity_graph.matching import BlockingIndex, BlockingRule, RecordTable, block

RULES = ["a", "b & c", "initial(d)", "unordered(a, b)"]


def make_table(rows: list[dict[str, str | None]], prefix: str = "r") -> RecordTable:
    ids = [f"{prefix}{i}" for i in range(len(rows))]
    names = ["a", "b", "c", "d"]
    return RecordTable(ids, {k: [r.get(k) for r in rows] for k in names})


def key(rule: BlockingRule, row: dict[str, str | None]) -> tuple[object, ...] | None:
    """Reference implementation of a rule's block key for one row."""
    parts: list[object] = []
    for k in rule.keys:
        values = [row.get(f) for f in k.fields]
        if any(v is None for v in values):
            return None
        if k.function == "unordered":
            parts.append(tuple(sorted(values)))  # type: ignore[type-var]
        elif k.function == "initial":
            parts.append(values[0][:1])  # type: ignore[index]
        elif k.function == "soundex":
            parts.append(jellyfish.soundex(values[0]))  # type: ignore[arg-type]
        else:
            parts.append(values[0])
    return tuple(parts)


def brute_force(rows: list[dict[str, str | None]], rules: list[str]) -> set[tuple[int, int]]:
    parsed = [BlockingRule.parse(r) for r in rules]
    out = set()
    for i, j in itertools.combinations(range(len(rows)), 2):
        for rule in parsed:
            ki, kj = key(rule, rows[i]), key(rule, rows[j])
            if ki is not None and ki == kj:
                out.add((i, j))
                break
    return out


values = st.one_of(st.none(), st.sampled_from(["x", "y", "z", "xa", "yb"]))
row_strategy = st.fixed_dictionaries({"a": values, "b": values, "c": values, "d": values})


@settings(max_examples=60, deadline=None)
@given(st.lists(row_strategy, min_size=0, max_size=25))
def test_union_equals_brute_force(rows: list[dict[str, str | None]]) -> None:
    pairs = block(make_table(rows), RULES, max_block_size=10_000)
    got = list(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    assert len(got) == len(set(got)), "a pair was produced twice"
    assert set(got) == brute_force(rows, RULES)
    assert pairs.report.total_pairs == len(got)
    # Each rule's own count is what brute force gives for that rule alone.
    for rule in RULES:
        assert pairs.report.pairs_by_rule()[BlockingRule.parse(rule).name] == len(
            brute_force(rows, [rule])
        )


def test_each_pair_counted_once_in_report() -> None:
    rows: list[dict[str, str | None]] = [{"a": "x", "b": "y", "c": "z"} for _ in range(4)]
    pairs = block(make_table(rows), ["a", "b & c"])
    report = pairs.report
    assert report.pairs_by_rule() == {"a": 6, "b & c": 6}
    assert [r.new_pairs for r in report.rules] == [6, 0]
    assert report.total_pairs == len(pairs) == 6


def test_big_blocks_are_skipped_and_reported() -> None:
    rows: list[dict[str, str | None]] = [{"a": "big", "b": str(i)} for i in range(50)]
    rows += [{"a": "small", "b": "1"}, {"a": "small", "b": "2"}]
    pairs = block(make_table(rows), ["a", "b"], max_block_size=10)
    skipped = pairs.report.skipped_blocks
    assert [(s.rule, s.key, s.size) for s in skipped] == [("a", "a=big", 50)]
    # The "small" block is kept; the "b" rule still pairs rows 0 and 50 ("1") etc.
    got = set(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    assert (50, 51) in got
    assert (1, 50) in got  # b == "1", found by rule "b" although rule "a" skipped it
    assert len(got) == 1 + 2
    # A per-rule cap overrides the global one.
    pairs = block(make_table(rows), [BlockingRule.parse("a", max_block_size=100)])
    assert len(pairs) == 50 * 49 // 2 + 1


def test_link_only_pairs_cross_sources() -> None:
    left = make_table([{"a": "x"}, {"a": "x"}], prefix="l")
    right = make_table([{"a": "x"}, {"a": "y"}], prefix="r")
    table = RecordTable.concat([left, right])
    pairs = block(table, ["a"], link_type="link")
    assert sorted(pairs.id_pairs()) == [("l0", "r0"), ("l1", "r0")]


def test_derived_keys() -> None:
    table = RecordTable(
        ["1", "2", "3"],
        {
            "surname": ["smith", "smyth", "jones"],
            "date_of_birth": ["1980-01-02", "1980-12-30", "1980-01-02"],
            "email": ["ann@x.com", "ann@y.org", None],
        },
    )
    assert block(table, ["soundex(surname) & year(date_of_birth)"]).id_pairs() == [("1", "2")]
    assert block(table, ["email_local(email)"]).id_pairs() == [("1", "2")]
    with pytest.raises(ValueError, match="unknown key function"):
        BlockingRule.parse("sondex(surname)")


@settings(max_examples=40, deadline=None)
@given(st.lists(row_strategy, min_size=0, max_size=15), st.lists(row_strategy, max_size=8))
def test_incremental_matches_full_blocking(
    old_rows: list[dict[str, str | None]], new_rows: list[dict[str, str | None]]
) -> None:
    old, new = make_table(old_rows, "o"), make_table(new_rows, "n")
    index = BlockingIndex.build(RULES, old, max_block_size=10_000)
    cand = index.candidates(new)
    got = [tuple(sorted(p)) for p in cand.id_pairs()]
    assert len(got) == len(set(got)), "a pair was produced twice"
    # Every pair involves a new record ...
    assert all(a.startswith("n") or b.startswith("n") for a, b in got)
    # ... and they are exactly the full-blocking pairs that involve one.
    full = block(
        RecordTable.concat([old, new], relabel_sources=False), RULES, max_block_size=10_000
    )
    expected = {tuple(sorted(p)) for p in full.id_pairs() if "n" in (p[0][0], p[1][0])}
    assert set(got) == expected


def test_incremental_cap_and_add() -> None:
    old = make_table([{"a": "x"} for _ in range(5)], "o")
    index = BlockingIndex.build(["a"], old, max_block_size=5)
    cand = index.candidates(make_table([{"a": "x"}, {"a": "y"}, {"a": "y"}], "n"))
    assert cand.id_pairs() == [("n1", "n2")]
    assert [(s.key, s.size) for s in cand.report.skipped_blocks] == [("a=x", 6)]
    index.add(make_table([{"a": "y"}], "m"))
    assert len(index) == 6
    cand = index.candidates(make_table([{"a": "y"}], "n"))
    assert cand.id_pairs() == [("n0", "m0")]
    with pytest.raises(ValueError, match="already indexed"):
        index.candidates(make_table([{"a": "q"}], "m"))


def test_streaming_chunks_cover_all_pairs() -> None:
    from identity_graph.matching import iter_candidate_pairs

    rows: list[dict[str, str | None]] = [{"a": str(i % 7), "b": str(i % 5)} for i in range(200)]
    table = make_table(rows)
    rules = [BlockingRule.parse("a"), BlockingRule.parse("b")]
    chunks = list(iter_candidate_pairs(table, rules, chunk_pairs=500))
    assert len(chunks) > 1
    keys = np.concatenate([a * 1000 + b for a, b in chunks])
    assert len(keys) == len(np.unique(keys)) == len(block(table, ["a", "b"]))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(row_strategy, max_size=12),
    st.lists(row_strategy, max_size=6),
    st.lists(row_strategy, max_size=6),
)
def test_incremental_after_add(
    first: list[dict[str, str | None]],
    second: list[dict[str, str | None]],
    new_rows: list[dict[str, str | None]],
) -> None:
    """Records added after the index was sorted (the delta level) are found too."""
    a, b, new = make_table(first, "a"), make_table(second, "b"), make_table(new_rows, "n")
    index = BlockingIndex.build(RULES, a, max_block_size=10_000)
    index.candidates(make_table([], "x"))  # sorts the main level
    index.add(b)
    got = {tuple(sorted(p)) for p in index.candidates(new).id_pairs()}
    full = block(
        RecordTable.concat([a, b, new], relabel_sources=False), RULES, max_block_size=10_000
    )
    assert got == {tuple(sorted(p)) for p in full.id_pairs() if "n" in (p[0][0], p[1][0])}
