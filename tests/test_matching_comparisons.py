"""Comparison levels, including nulls (Bayes factor exactly 1) and swaps."""

from __future__ import annotations

import numpy as np

from identity_graph.matching import (
    ComparisonSpec,
    RecordTable,
    date_comparison,
    distance_comparison,
    email_comparison,
    name_comparison,
)
from identity_graph.matching.comparisons import compare_field


def levels_of(spec: ComparisonSpec, pairs: list[tuple[str | None, str | None]],
              extra: dict[str, list[tuple[str | None, str | None]]] | None = None) -> list[str]:
    """Level labels for value pairs, via a two-row-per-pair table."""
    cols: dict[str, list[str | None]] = {spec.field: [v for p in pairs for v in p]}
    for name, vals in (extra or {}).items():
        cols[name] = [v for p in vals for v in p]
    n = len(pairs)
    table = RecordTable([str(i) for i in range(2 * n)], cols)
    left = np.arange(0, 2 * n, 2, dtype=np.int64)
    levels = compare_field(spec, table, left, left + 1)
    return [spec.level_labels[lv] for lv in levels]


def test_name_levels() -> None:
    spec = name_comparison("given_name")
    assert spec.level_labels == ["null", "exact", "jaro_winkler>=0.92", "jaro_winkler>=0.8",
                                 "else"]
    got = levels_of(spec, [("martha", "martha"), ("martha", "marhta"), ("dwayne", "duane"),
                           ("john", "mary"), (None, "john"), ("john", None), (None, None)])
    assert got == ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.8", "else", "null", "null",
                   "null"]


def test_distance_levels() -> None:
    spec = distance_comparison("postcode", (1, 2))
    got = levels_of(spec, [("2000", "2000"), ("2000", "2001"), ("2000", "2210"),
                           ("2000", "2010"), ("2000", "3999")])
    # "2000" -> "2010" is one substitution; "2210" is two.
    assert got == ["exact", "damerau_levenshtein<=1", "damerau_levenshtein<=2",
                   "damerau_levenshtein<=1", "else"]
    # Adjacent transposition counts as one edit.
    assert levels_of(spec, [("2010", "2100")]) == ["damerau_levenshtein<=1"]


def test_date_levels() -> None:
    spec = date_comparison()
    got = levels_of(spec, [("1959-09-09", "1959-09-09"), ("1959-09-09", "1959-09-08"),
                           ("1959-03-12", "1959-12-03"), ("1959-09-01", "1959-09-27"),
                           ("1959-09-09", "1972-01-30")])
    assert got == ["exact", "one_edit", "year_month_or_swapped", "year_month_or_swapped",
                   "else"]


def test_email_levels() -> None:
    spec = email_comparison()
    got = levels_of(spec, [("a@x.com", "a@x.com"), ("a@x.com", "a@y.org"), ("a@x.com", "b@x.com")])
    assert got == ["exact", "same_local_part", "else"]


def test_swapped_names_have_their_own_level() -> None:
    spec = name_comparison("given_name", swap_with="surname")
    assert spec.level_labels[-2:] == ["swapped_with_surname", "else"]
    got = levels_of(
        spec,
        [("smith", "john"), ("smith", "jon"), ("smith", "mary"), ("smith", "john")],
        extra={"surname": [("john", "smith"), ("jon", "smiht"), ("jones", "brown"),
                           (None, None)]},
    )
    assert got == ["swapped_with_surname", "swapped_with_surname", "else", "else"]


def test_repeated_value_pairs_score_like_distinct_ones() -> None:
    # compare_field scores distinct value pairs once and broadcasts; order must not matter.
    spec = name_comparison("surname")
    pairs: list[tuple[str | None, str | None]] = [("smith", "smyth"), ("smyth", "smith")] * 50
    assert set(levels_of(spec, pairs)) == {"jaro_winkler>=0.8"}
