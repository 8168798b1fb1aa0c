"""Standardization: header aliases, cleaning, dates."""

from __future__ import annotations

import math

import pytest

from identity_graph.matching import RecordTable, Standardizer, normalize_header, parse_date


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("first_name", "given_name"),
        ("First Name", "given_name"),
        ("last_name", "surname"),
        ("LastName", "surname"),
        ("city", "suburb"),
        ("address", "address_1"),
        ("birth_date", "date_of_birth"),
        ("DOB", "date_of_birth"),
        ("zip", "postcode"),
        ("Zip Code", "postcode"),
        ("e-mail", "email"),
        ("surname", "surname"),
        ("loyalty_tier", "loyalty_tier"),  # unknown headers pass through, normalized
    ],
)
def test_header_aliases(header: str, field: str) -> None:
    assert normalize_header(header) == field


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("1959-09-09", "1959-09-09"),
        ("19590909", "1959-09-09"),
        ("1959/9/9", "1959-09-09"),
        ("1959-09-09T00:00:00", "1959-09-09"),
        (" 2001-12-31 ", "2001-12-31"),
    ],
)
def test_unambiguous_dates(raw: str, iso: str) -> None:
    assert parse_date(raw) == iso


def test_slashed_dates_need_an_order() -> None:
    with pytest.raises(ValueError, match=r"date_of_birth: .*ambiguous.*date_order"):
        parse_date("09/10/1959")
    assert parse_date("09/10/1959", date_order="dmy") == "1959-10-09"
    assert parse_date("09/10/1959", date_order="mdy") == "1959-09-10"


@pytest.mark.parametrize("raw", ["1959-13-01", "19590230", "yesterday", "59-1-1", "31/02/2000"])
def test_bad_dates_raise_naming_the_field(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^dob_field: "):
        parse_date(raw, field="dob_field", date_order="dmy")


def test_standardizer_cleans_and_aliases() -> None:
    std = Standardizer()
    row = std.standardize(
        {
            "First Name": "  JOSÉ  ",
            "last_name": "O'Brien-Smith.",
            "DOB": "19590909",
            "city": "Surry   Hills",
            "address": "12 George St.",
            "zip": "20 00",
            "phone": "+61 (4) 1234-5678",
            "email": " Jose@Example.COM ",
            "state": "nan",
            "address_2": "",
            "extra": float("nan"),
        }
    )
    assert row == {
        "given_name": "jose",
        "surname": "o'brien-smith",
        "date_of_birth": "1959-09-09",
        "suburb": "surry hills",
        "address_1": "12 george street",
        "postcode": "2000",
        "phone": "61412345678",
        "email": "jose@example.com",
        "state": None,
        "address_2": None,
        "extra": None,
    }


@pytest.mark.parametrize("junk", ["", "  ", "NaN", "null", "N/A", "-", "unknown", None, math.nan])
def test_junk_is_missing(junk: object) -> None:
    assert Standardizer().standardize({"surname": junk}) == {"surname": None}


def test_invalid_dates_can_become_missing() -> None:
    with pytest.raises(ValueError, match="date_of_birth"):
        Standardizer().standardize({"dob": "1959-02-30"})
    assert Standardizer(invalid_dates="null").standardize({"dob": "1959-02-30"}) == {
        "date_of_birth": None
    }


def test_day_first_standardizer() -> None:
    std = Standardizer(date_order="dmy")
    assert std.standardize({"birth_date": "09/10/1959"}) == {"date_of_birth": "1959-10-09"}


def test_table_from_dicts() -> None:
    table = RecordTable.from_dicts(
        [
            {"record_id": "a", "first_name": "Ann", "zip": "2000"},
            {"record_id": "b", "first_name": "BOB", "city": "Perth"},
        ]
    )
    assert table.ids == ["a", "b"]
    assert table.column("given_name") == ["ann", "bob"]
    assert table.column("postcode") == ["2000", None]
    assert table.column("email") == [None, None]
    assert table.record(1).fields["suburb"] == "perth"
    with pytest.raises(ValueError, match="record_id"):
        RecordTable.from_dicts([{"first_name": "x"}])
    with pytest.raises(ValueError, match="duplicate"):
        RecordTable.from_dicts([{"record_id": "a"}, {"record_id": "a"}])
