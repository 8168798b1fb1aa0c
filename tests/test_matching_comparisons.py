"""Comparison levels, including nulls (Bayes factor exactly 1) and swaps."""

from __future__ import annotations

import numpy as np
import pytest

from identity_graph.matching import (
    ComparisonSpec,
    RecordTable,
    date_comparison,
    distance_comparison,
    email_comparison,
    full_address_comparison,
    name_comparison,
)
from identity_graph.matching.comparisons import (
    compare,
    compare_field,
)


def levels_of(
    spec: ComparisonSpec,
    pairs: list[tuple[str | None, str | None]],
    extra: dict[str, list[tuple[str | None, str | None]]] | None = None,
) -> list[str]:
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
    assert spec.level_labels == ["null", "exact", "jaro_winkler>=0.92", "jaro_winkler>=0.8", "else"]
    got = levels_of(
        spec,
        [
            ("martha", "martha"),
            ("martha", "marhta"),
            ("dwayne", "duane"),
            ("john", "mary"),
            (None, "john"),
            ("john", None),
            (None, None),
        ],
    )
    assert got == [
        "exact",
        "jaro_winkler>=0.92",
        "jaro_winkler>=0.8",
        "else",
        "null",
        "null",
        "null",
    ]


def test_distance_levels() -> None:
    spec = distance_comparison("postcode", (1, 2))
    got = levels_of(
        spec,
        [("2000", "2000"), ("2000", "2001"), ("2000", "2210"), ("2000", "2010"), ("2000", "3999")],
    )
    # "2000" -> "2010" is one substitution; "2210" is two.
    assert got == [
        "exact",
        "damerau_levenshtein<=1",
        "damerau_levenshtein<=2",
        "damerau_levenshtein<=1",
        "else",
    ]
    # Adjacent transposition counts as one edit.
    assert levels_of(spec, [("2010", "2100")]) == ["damerau_levenshtein<=1"]


def test_date_levels() -> None:
    spec = date_comparison()
    got = levels_of(
        spec,
        [
            ("1959-09-09", "1959-09-09"),
            ("1959-09-09", "1959-09-08"),
            ("1959-03-12", "1959-12-03"),
            ("1959-09-01", "1959-09-27"),
            ("1959-09-09", "1972-01-30"),
        ],
    )
    assert got == ["exact", "one_edit", "year_month_or_swapped", "year_month_or_swapped", "else"]


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
        extra={"surname": [("john", "smith"), ("jon", "smiht"), ("jones", "brown"), (None, None)]},
    )
    assert got == ["swapped_with_surname", "swapped_with_surname", "else", "else"]


def test_one_crossing_is_not_a_swap() -> None:
    """ "parker, maria" vs "ngozi parker": relatives, one surname entered as a given name.
    Both comparisons of the swap pair would see that one crossing; neither may call it a
    swap (that scored one shared surname twice). A missing value leaves one crossing to
    check, which then decides."""
    pairs = {
        "given_name": [("parker", "ngozi"), ("parker", "maria"), ("parker", "maria")],
        "surname": [("maria", "parker"), ("maria", "parker"), (None, "parker")],
    }
    for field, other in (("given_name", "surname"), ("surname", "given_name")):
        spec = name_comparison(field, swap_with=other)
        got = levels_of(spec, pairs[field], extra={other: pairs[other]})
        assert got[:2] == ["else", f"swapped_with_{other}"]
    spec = name_comparison("given_name", swap_with="surname")
    got = levels_of(spec, pairs["given_name"], extra={"surname": pairs["surname"]})
    assert got[2] == "swapped_with_surname"


def test_repeated_value_pairs_score_like_distinct_ones() -> None:
    # compare_field scores distinct value pairs once and broadcasts; order must not matter.
    spec = name_comparison("surname")
    pairs: list[tuple[str | None, str | None]] = [("smith", "smyth"), ("smyth", "smith")] * 50
    assert set(levels_of(spec, pairs)) == {"jaro_winkler>=0.8"}


def address_table() -> tuple[RecordTable, np.ndarray]:
    number = [("12", "12"), ("12", "12"), ("12", "14"), ("12", None), (None, "7"), ("3", "3")]
    street = [
        ("george street", "george street"),
        ("george street", "georgestreet"),
        ("george street", "george street"),
        ("george street", "george street"),
        ("high road", None),
        ("mill lane", "park avenue"),
    ]
    postcode = [
        ("2000", "2000"),
        ("2000", "2000"),
        ("2000", "2000"),
        ("2000", "2000"),
        ("2000", "2000"),
        ("2001", "3999"),
    ]
    cols = {"street_number": number, "address_1": street, "postcode": postcode}
    table = RecordTable(
        [str(i) for i in range(12)], {k: [v for p in vals for v in p] for k, vals in cols.items()}
    )
    return table, np.arange(0, 12, 2, dtype=np.int64)


def test_full_address_compares_the_parts_both_records_have() -> None:
    spec = full_address_comparison(("street_number", "address_1", "postcode"))
    assert spec.label == "address" and spec.input_fields == spec.fields
    table, left = address_table()
    labels = [spec.level_labels[lv] for lv in compare_field(spec, table, left, left + 1)]
    # exact; a typo; a different house on the same street; no house number on one side
    # (a part missing on one side is left out, not counted as a disagreement); only the
    # postcode in common (a single part is no address: null); a different address.
    assert labels == [
        "exact",
        "levenshtein_ratio>=0.9",
        "levenshtein_ratio>=0.9",
        "exact",
        "null",
        "else",
    ]


def test_fallback_speaks_only_where_its_comparison_is_null() -> None:
    address = full_address_comparison(("street_number", "address_1", "postcode"))
    postcode = distance_comparison("postcode", (1,), fallback_for="address")
    table, left = address_table()
    levels = compare([address, postcode], table, left, left + 1)
    assert [postcode.level_labels[lv] for lv in levels[:, 1]] == ["null"] * 4 + ["exact", "null"]


def test_combined_column_joins_present_values() -> None:
    table = RecordTable(
        ["a", "b", "c", "d"],
        {"x": ["1", None, "1", None], "y": ["main st", "main st", "main st", None]},
    )
    enc = table.combined(["x", "y"])
    assert [enc.vocab[c] if c >= 0 else None for c in enc.codes] == [
        "1 main st",
        "main st",
        "1 main st",
        None,
    ]
    assert dict(zip(enc.vocab, enc.counts.tolist(), strict=True)) == {"1 main st": 2, "main st": 1}
    assert table.combined(["x", "y"]) is enc  # cached


def test_nickname_level_between_fuzzy_and_else() -> None:
    """Bob and Robert (and Bob and Rob, both Robert's) are the nicknames dataset's; a
    different name stays "else"."""
    spec = name_comparison("given_name", swap_with="surname", nicknames=True)
    assert spec.level_labels[-3:] == ["nickname", "swapped_with_surname", "else"]
    rows = [
        ("a1", "Robert", "Smith"), ("a2", "Bob", "Smith"),
        ("b1", "Bob", "Jones"), ("b2", "Rob", "Jones"),
        ("c1", "Anna", "Keller"), ("c2", "Bruno", "Keller"),
        ("d1", "Xqzt", "Moss"), ("d2", "Bob", "Moss"),
        ("e1", "Smith", "Lee"), ("e2", "Lee", "Smith"),
    ]  # fmt: skip
    table = RecordTable.from_dicts(
        [{"record_id": r, "given_name": g, "surname": s} for r, g, s in rows]
    )
    left = np.array([0, 2, 4, 6, 8])
    levels = compare([spec], table, left, left + 1)[:, 0]
    labels = [spec.level_labels[lvl] for lvl in levels]
    assert labels == ["nickname", "nickname", "else", "else", "swapped_with_surname"]
    plain = name_comparison("given_name")
    assert "nickname" not in plain.level_labels
    with pytest.raises(ValueError, match="nicknames"):
        type(plain).model_validate(
            {"field": "phone", "kind": "damerau_levenshtein", "thresholds": (1,), "nicknames": True}
        )
