"""Each ad platform's rules beyond its published examples, and the shape of its rows."""

from __future__ import annotations

import hashlib
import random

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import (
    PLATFORMS,
    ExportPerson,
    get_platform,
    google,
    linkedin,
    meta,
    tiktok,
    x,
)
from identity_graph.exports.platforms import normalize as n

MAID = "5F3A2B18-9C4D-4E7F-B8E2-17D3A1E69B25"  # stored upper-case, as device_id is
HASHED = hashlib.sha256(b"ann@example.com").hexdigest()
NEVER = [("cookie", "c-123"), ("customer_id", "C1"), ("crm_id", "K9"), ("loyalty_id", "L7")]


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def person(*identifiers: tuple[str, str], **attributes: str) -> ExportPerson:
    return ExportPerson("p1", list(identifiers), dict(attributes))


def rows_and_skips(
    name: str, p: ExportPerson
) -> tuple[list[tuple[str, ...]], list[tuple[str, str]]]:
    skips: list[tuple[str, str]] = []
    rows = list(get_platform(name).rows(p, on_skip=lambda t, r: skips.append((t, r))))
    return rows, skips


# --- Google ------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["gmail.com", "googlemail.com", "GMail.com"])
def test_google_drops_dots_and_plus_only_for_gmail(domain: str) -> None:
    assert google.normalize_email(f"A.b.C+news@{domain}") == f"abc@{domain.lower()}"


@pytest.mark.parametrize("domain", ["example.com", "gmail.co.uk", "mail.gmail.com"])
def test_google_keeps_dots_and_plus_elsewhere(domain: str) -> None:
    assert google.normalize_email(f"A.b+x@{domain}") == f"a.b+x@{domain}"


def test_google_trims_inner_white_space_of_emails() -> None:
    assert google.normalize_email(" ann @ example.com\t") == "ann@example.com"


def test_google_address_needs_all_four_parts_and_is_not_hashed_for_zip_and_country() -> None:
    full = {"given_name": " Ann ", "surname": "Lee", "country": "us", "postcode": "94043"}
    (row,) = rows_and_skips("google", person(("email", "ann@example.com"), **full))[0]
    assert row[2:] == (_sha("ann"), _sha("lee"), "US", "94043")
    partial = {k: v for k, v in full.items() if k != "postcode"}
    (row,) = rows_and_skips("google", person(("email", "ann@example.com"), **partial))[0]
    assert row[2:] == ("", "", "", "")


def test_google_takes_no_maid_and_no_prehashed_email() -> None:
    rows, _ = rows_and_skips("google", person(("device_id", MAID), ("hashed_email", HASHED)))
    assert rows == []


# --- Meta ----------------------------------------------------------------------------------


def test_meta_email_has_no_gmail_rule() -> None:
    assert meta.normalize_email(" A.B+x@Gmail.com ") == "a.b+x@gmail.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien-Smith", "obriensmith"),
        ("Zoë.", "zoë"),
        ("Vale\u0301ry", "valéry"),  # decomposed é is composed, not dropped
        ("Jean Luc", "jeanluc"),
        ("Müller, Jr.", "müllerjr"),
        ("정", "정"),
    ],
)
def test_meta_names_lose_punctuation_and_keep_accents(raw: str, expected: str) -> None:
    assert meta.normalize_name(raw) == expected


def test_meta_person_columns() -> None:
    attrs = {
        "given_name": "Valéry",
        "surname": "  ",
        "city": "San Francisco",
        "postcode": "94043-1234",
        "country": "United States",
        "birth_date": "1997-02-16",
    }
    rows, skips = rows_and_skips("meta", person(("device_id", MAID), **attrs))
    (row,) = rows
    assert row[2] == MAID.lower()  # mobile ad IDs go unhashed, lower-case
    assert row[3] == _sha("valéry") and row[4] == ""  # an empty surname is left out
    assert row[5:8] == (_sha("sanfrancisco"), _sha("94043"), _sha("us"))
    assert row[8:] == (_sha("1997"), _sha("02"), _sha("16"))
    assert skips == [("surname", "empty after removing punctuation")]


def test_meta_zip_outside_us_keeps_letters() -> None:
    assert meta.normalize_zip("SW1A 1AA", "gb") == "sw1a1aa"


# --- TikTok, Snap, X, LinkedIn ------------------------------------------------------------------


def test_tiktok_strips_plus_tags_on_every_domain_but_keeps_dots() -> None:
    assert tiktok.normalize_email("Ann.Lee+promo@Example.com") == "ann.lee@example.com"


def test_tiktok_hashes_lower_case_maids() -> None:
    (row,) = rows_and_skips("tiktok", person(("device_id", MAID)))[0]
    assert row == ("", "", _sha(MAID.lower()))


@pytest.mark.parametrize("name", ["meta", "snap", "x", "linkedin"])
def test_prehashed_email_passes_as_is_where_the_email_rule_is_plain(name: str) -> None:
    rows, _ = rows_and_skips(name, person(("hashed_email", HASHED), ("email", "Ann@Example.com")))
    assert rows == [rows[0]] and HASHED in rows[0]  # same hash: one row, not two


@pytest.mark.parametrize("name", ["google", "tiktok"])
def test_prehashed_email_stays_home_where_the_email_rule_rewrites(name: str) -> None:
    assert rows_and_skips(name, person(("hashed_email", HASHED)))[0] == []


def test_x_handle_and_phone() -> None:
    assert x.normalize_handle("  @Jack ") == "jack"
    with pytest.raises(InvalidValue):
        x.normalize_handle("@")
    assert rows_and_skips("x", person(("phone", "+16505551212")))[0] == []


def test_linkedin_sends_no_names_and_plain_country() -> None:
    p = person(("email", "ann@example.com"), given_name="Ann", surname="Lee", country="DE")
    (row,) = rows_and_skips("linkedin", p)[0]
    assert row == (_sha("ann@example.com"), "", "", "", "", "DE", "")
    assert linkedin.COLUMNS[0] == "email"


# --- every platform -----------------------------------------------------------------------------


def test_registry() -> None:
    assert set(PLATFORMS) == {"google", "meta", "tiktok", "linkedin", "snap", "x"}
    assert (PLATFORMS["google"].batch_size, PLATFORMS["meta"].batch_size) == (10_000, 10_000)
    assert (PLATFORMS["tiktok"].min_audience, PLATFORMS["linkedin"].min_audience) == (1000, 300)
    for p in PLATFORMS.values():
        assert len(set(p.columns)) == len(p.columns) and p.batch_size > 0 and p.min_audience > 0


def test_unknown_platform_lists_the_known_ones() -> None:
    with pytest.raises(InvalidValue, match="known platforms: google, linkedin, meta, snap"):
        get_platform("myspace")
    assert get_platform(" Meta ").name == "meta"
    assert get_platform("meta", "gb").default_region == "GB"


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_one_identifier_per_row_deterministic(name: str) -> None:
    ids = [
        ("email", "ann@example.com"),
        ("email", "bob@example.com"),
        ("phone", "+16505551212"),
        ("phone", "+447911123456"),
        ("device_id", MAID),
        *NEVER,
    ]
    attrs = {"given_name": "Ann", "surname": "Lee", "country": "US", "postcode": "94043"}
    p = get_platform(name)
    rows = list(p.rows(person(*ids, **attrs)))
    shuffled = ids.copy()
    random.Random(7).shuffle(shuffled)
    assert rows == list(p.rows(person(*shuffled, **attrs))) == sorted(rows)
    identifier_columns = {c for _, (c, _fn) in p.spec.keys.items()}
    for row in rows:
        assert len(row) == len(p.columns)
        assert sum(1 for c in identifier_columns if row[c]) == 1
    assert len(rows) == len({r for r in rows})
    never = list(p.rows(person(*NEVER, **attrs)))
    assert never == []


@pytest.mark.parametrize("name", ["google", "meta", "tiktok", "snap"])
def test_invalid_phone_is_skipped_with_a_reason_without_the_value(name: str) -> None:
    rows, skips = rows_and_skips(name, person(("phone", "555-0000-99"), ("email", "a@b.co")))
    assert len(rows) == 1
    ((type_, reason),) = skips
    assert type_ == "phone" and "not a valid phone number" in reason and "555" not in reason


@pytest.mark.parametrize("device_id", ["ABC123COOKIE", "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize("name", ["meta", "tiktok", "snap", "x"])
def test_device_ids_that_are_no_maids_are_skipped(name: str, device_id: str) -> None:
    rows, skips = rows_and_skips(name, person(("device_id", device_id)))
    assert rows == [] and skips[0][0] == "device_id"


def test_dates_and_countries() -> None:
    assert meta.normalize_dob("19970216") == meta.normalize_dob("1997-02-16") == "19970216"
    for bad in ("1997-02-30", "16.2.1997", "1850-01-01"):
        with pytest.raises(InvalidValue):
            meta.normalize_dob(bad)
    assert n.country_code("united kingdom") == n.country_code("UK") == "GB"
    assert n.country_code(" de ") == "DE"
    for bad in ("Atlantis", "ZZ"):
        with pytest.raises(InvalidValue):
            n.country_code(bad)


# --- the E.164 fast path --------------------------------------------------------------------


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    region = draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    if example is None:
        example = phonenumbers.example_number(region)
    assert example is not None
    nsn = str(example.national_number)
    keep = draw(st.integers(min_value=max(1, len(nsn) - 4), max_value=len(nsn)))
    tail = draw(st.text("0123456789", min_size=len(nsn) - keep, max_size=len(nsn) - keep))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code,
        national_number=int(nsn[:keep] + tail),
        italian_leading_zero=example.italian_leading_zero,
    )
    if not phonenumbers.is_valid_number(number):
        number = example
    return region, number


@settings(max_examples=1500, deadline=None)
@given(valid_numbers(), st.sampled_from(["US", "GB", "DE", "IN", "BR"]))
def test_e164_fast_path_matches_phonenumbers(
    drawn: tuple[str, phonenumbers.PhoneNumber], default_region: str
) -> None:
    region, number = drawn
    stored = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    slow = n._parse_phone(stored, default_region)
    assert slow is not None
    assert n.e164(stored, default_region) == slow == stored
    # A number written the way people do takes the parse path and lands on the same value.
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert n.e164(international, default_region) == stored
    assert n.e164(national, region) == stored
    assert meta.normalize_phone(national, region) == stored[1:]


def test_e164_fast_path_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(raw: str, region: str) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(n, "_parse_phone", boom)
    assert n.e164("+16505551212", "US") == "+16505551212"
    with pytest.raises(AssertionError):
        n.e164("(650) 555-1212", "US")
