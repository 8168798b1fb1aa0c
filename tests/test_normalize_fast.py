"""The fast paths of `fastnorm` against the libraries that define normalization.

Wherever a fast path answers, its answer must be the library's; it must leave every invalid
value to the library (whose message is the one users see); and it must answer for the
plain values that make up real traffic, or it would be dead code. Checked on generated
near-valid values and on the value lists in tests/data/ (`bench/normalize.py --write-lists`
rebuilds the generator's and the regions' lists; the tricky-* lists are hand-written).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import email_validator
import phonenumbers
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from identity_graph.config import Settings
from identity_graph.errors import InvalidValue
from identity_graph.ingest import fastnorm, normalize
from identity_graph.ingest.fastnorm import fast_email, fast_phone
from identity_graph.ingest.normalize import Normalizer

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


EMAILS = [
    row[0] for name in ("synthetic-emails", "tricky-emails") for row in _rows(f"{name}.jsonl")
]
PHONES = [
    (row[0], row[1])
    for name in ("synthetic-phones", "tricky-phones", "world-phones")
    for row in _rows(f"{name}.jsonl")
]


def _library_email(value: str) -> str:
    """The library's answer, or its message: what the fast path must equal or leave alone."""
    try:
        return normalize._email(value)
    except InvalidValue as exc:
        return f"InvalidValue: {exc}"


def _library_phone(value: str, region: str) -> str:
    try:
        return normalize._phone_normalizer(region)(value)
    except InvalidValue as exc:
        return f"InvalidValue: {exc}"


def _check_email(value: str) -> bool:
    found = fast_email(value)
    if found is not None:
        assert found == _library_email(value), value
    return found is not None


def _check_phone(value: str, region: str) -> bool:
    found = fast_phone(value, region)
    if found is not None:
        assert found == _library_phone(value, region), (region, value)
    return found is not None


# --- value lists -----------------------------------------------------------------------


def test_value_lists_are_real_sized() -> None:
    """The lists are what the differential tests below stand on: thousands of values."""
    assert len(EMAILS) > 5_000
    assert len(PHONES) > 9_000
    assert len({region for region, _ in PHONES}) > 200


def test_fast_email_equals_the_library_on_the_lists() -> None:
    taken = sum(_check_email(v.strip()) for v in EMAILS)
    assert taken > 0.9 * len(EMAILS)


def test_fast_phone_equals_the_library_on_the_lists() -> None:
    taken = sum(_check_phone(v.strip(), region) for region, v in PHONES)
    assert taken > 0.5 * len(PHONES)


def test_invalid_values_are_left_to_the_library() -> None:
    """So every error message is the library's."""
    for value in EMAILS:
        if _library_email(value.strip()).startswith("InvalidValue"):
            assert fast_email(value.strip()) is None, value
    for region, value in PHONES:
        if _library_phone(value.strip(), region).startswith("InvalidValue"):
            assert fast_phone(value.strip(), region) is None, (region, value)


def test_the_generators_values_take_the_fast_path() -> None:
    """Real traffic's shapes: nearly every generated email and US phone, every valid one of
    the common written forms, and most regions' example numbers."""
    emails = [row[0].strip() for row in _rows("synthetic-emails.jsonl")]
    assert sum(fast_email(v) is not None for v in emails) >= 0.99 * len(emails)
    phones = [(r, v.strip()) for r, v in (tuple(x) for x in _rows("synthetic-phones.jsonl"))]
    assert all(fast_phone(v, r) is not None for r, v in phones)
    world = [(r, v) for r, v in (tuple(x) for x in _rows("world-phones.jsonl"))]
    assert sum(fast_phone(v, r) is not None for r, v in world) >= 0.5 * len(world)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("anna.smith@example.com", "anna.smith@example.com"),
        ("Anna.Smith@Example.COM", "anna.smith@example.com"),
        ("bob+shop@mail.example.co.uk", "bob+shop@mail.example.co.uk"),
        ("o'brien_1990@gmail.com", "o'brien_1990@gmail.com"),
    ],
)
def test_plain_emails_take_the_fast_path(value: str, expected: str) -> None:
    assert fast_email(value) == expected == _library_email(value)


@pytest.mark.parametrize(
    ("region", "value", "expected"),
    [
        ("US", "(201) 555-0123", "+12015550123"),
        ("US", "201-555-0123", "+12015550123"),
        ("US", "201.555.0123", "+12015550123"),
        ("US", "2015550123", "+12015550123"),
        ("US", "1-201-555-0123", "+12015550123"),
        ("US", "+1 (201) 555 0123", "+12015550123"),
        ("US", "+44 7911 123456", "+447911123456"),
        ("US", "011 44 7911 123456", "+447911123456"),
        ("US", "+39 06 6982 1234", "+390669821234"),
        ("DE", "0151 23456789", "+4915123456789"),
        ("GB", "020 7946 0958", "+442079460958"),
    ],
)
def test_plain_phones_take_the_fast_path(region: str, value: str, expected: str) -> None:
    assert fast_phone(value, region) == expected == _library_phone(value, region)


@pytest.mark.parametrize(
    "value",
    [
        "a@@example.com",  # two @-signs: the library says which character is wrong
        '"anna"@example.com',  # quoted: the library unquotes or refuses
        "anna@bücher.de",  # IDNA
        "anna@xn--bcher-kva.ch",  # Punycode, shown decoded by the library
        "zoë@example.com",  # SMTPUTF8 local part, NFC
        "anna@x.test",  # special-use
        "anna@example.123",  # no letter in the TLD
    ],
)
def test_unusual_emails_are_left_to_the_library(value: str) -> None:
    assert fast_email(value) is None


def test_the_librarys_settings_are_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    """email-validator's module settings change what it accepts: the fast path follows."""
    long_local = "a" * 65 + "@example.com"
    assert fast_email(long_local) == long_local
    monkeypatch.setattr(email_validator, "STRICT", True)
    assert fast_email(long_local) is None
    assert _library_email(long_local).startswith("InvalidValue")
    monkeypatch.setattr(email_validator, "STRICT", False)
    assert fast_email("anna@mail.corp") == "anna@mail.corp"
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", ["corp"])
    assert fast_email("anna@mail.corp") is None
    assert _library_email("anna@mail.corp").startswith("InvalidValue")
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", ["mail.corp"])
    assert fast_email("anna@other.com") is None


def test_the_normalizer_takes_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wired in: plain values never reach the libraries, the rest still do."""
    calls: list[str] = []

    def validate_email(value: str, **_: object) -> object:
        calls.append(value)
        raise normalize.EmailNotValidError("from the library")

    monkeypatch.setattr(normalize, "validate_email", validate_email)
    monkeypatch.setattr(normalize.phonenumbers, "parse", validate_email)
    norm = Normalizer(Settings())
    assert norm.normalize("email", " Anna@Example.com ") == "anna@example.com"
    assert norm.normalize("phone", "(201) 555-0123") == "+12015550123"
    assert calls == []
    with pytest.raises(InvalidValue, match="from the library"):
        norm.normalize("email", "anna@bücher.de")
    assert calls == ["anna@bücher.de"]


def test_the_normalizer_is_the_same_with_and_without_fast_paths() -> None:
    """Values, placeholders and messages, through trimming, junk values and the cache."""
    fast, library = Normalizer(Settings()), Normalizer(Settings(), fast_paths=False)

    def outcome(norm: Normalizer, type_: str, value: str) -> str | None:
        try:
            return norm.normalize(type_, value)
        except InvalidValue as exc:
            return f"InvalidValue: {exc}"

    for value in EMAILS:
        assert outcome(fast, "email", value) == outcome(library, "email", value), value
    for region, value in PHONES:
        if region == "US":
            assert outcome(fast, "phone", value) == outcome(library, "phone", value), value
    de = Settings(default_phone_region="DE")
    fast_de, library_de = Normalizer(de), Normalizer(de, fast_paths=False)
    for region, value in PHONES:
        if region == "DE":
            assert outcome(fast_de, "phone", value) == outcome(library_de, "phone", value)


# --- generated near-valid values -------------------------------------------------------

_ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
_LDH = string.ascii_letters + string.digits + "-"
_plain_atom = st.text(alphabet=_ATEXT, min_size=1, max_size=10)
_plain_label = st.text(alphabet=_LDH, min_size=1, max_size=10)
_TLDS = [
    "com",
    "org",
    "net",
    "CO",
    "uk",
    "de",
    "museum",
    "io",
    "xn--p1ai",
    "local",
    "localhost",
    "test",
    "TEST",
    "invalid",
    "onion",
    "arpa",
    "example",
    "123",
    "c0m",
    "a",
    "рф",
    "a-1",
    "1-a",
    "x-",
    "-x",
    "",
]
# One perturbation of a plain address: what makes it unusual (or invalid) for the library.
_EDITS = [
    "é",
    "ß",
    "ü",
    "Ö",
    "用",
    "\u0308",
    "\u200b",
    " ",
    '"',
    "\\",
    "@",
    "(",
    ",",
    ";",
    "[",
    "K",
    "..",
    ".",
    "-",
    "--",
    "xn--",
    "_",
    "。",
    "ｅ",
    "\u00ad",
    "\n",
]


@st.composite
def near_valid_emails(draw: st.DrawFn) -> str:
    """A plain address (dot-atom local part, letter-digit-hyphen labels), then maybe one
    perturbation: an odd character, dots or hyphens, quotes, IDN, a special-use or numeric
    TLD, long labels or parts, a second '@', case, blanks, a display name."""
    local = ".".join(draw(st.lists(_plain_atom, min_size=1, max_size=3)))
    labels = draw(st.lists(_plain_label, min_size=1, max_size=3))
    tld = draw(st.sampled_from(_TLDS[:6] * 4 + _TLDS))
    value = f"{local}@{'.'.join(labels)}.{tld}"
    kind = draw(st.integers(0, 9))
    if kind == 1:  # one character or piece inserted anywhere
        i = draw(st.integers(0, len(value)))
        value = value[:i] + draw(st.sampled_from(_EDITS)) + value[i:]
    elif kind == 2:  # long local part, labels or whole address
        n = draw(st.sampled_from([60, 63, 64, 65, 70, 120, 200, 240, 250]))
        domain = ".".join(labels) + "." + tld
        value = draw(
            st.sampled_from(
                [f"{'a' * n}@{domain}", f"{local}@{'b' * n}.com", f"{local}@{'c.' * n}com"]
            )
        )
    elif kind == 3:
        value = draw(
            st.sampled_from(
                [
                    f'"{local}"@x.com',
                    f"{value}.",
                    f"{local}@@x.com",
                    f"{local}@bücher.de",
                    f"{local}@xn--bcher-kva.ch",
                    f"Anna <{value}>",
                    f"<{value}>",
                    f"{local}@[1.2.3.4]",
                ]
            )
        )
    if draw(st.booleans()):
        value = draw(st.sampled_from([str.upper, str.title, str.swapcase]))(value)
    return draw(st.sampled_from(["{}"] * 6 + [" {} ", "{} ", "\t{}"])).format(value)


def test_fast_email_equals_the_library_on_generated_values() -> None:
    answered: list[bool] = []

    @hsettings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(value=near_valid_emails())
    def check(value: str) -> None:
        answered.append(_check_email(value))
        if value != value.strip():
            answered.append(_check_email(value.strip()))

    check()
    assert sum(answered) > 0.3 * len(answered), f"{sum(answered)} of {len(answered)}"


@hsettings(max_examples=500, deadline=None)
@given(value=st.text(max_size=40))
def test_fast_email_equals_the_library_on_any_text(value: str) -> None:
    _check_email(value)


def _examples() -> list[tuple[str, int, str]]:
    """(region, country code, national number) of every region's example numbers."""
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.TOLL_FREE,
        ):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and example.country_code is not None:
                nsn = phonenumbers.national_significant_number(example)
                out.append((region, example.country_code, nsn))
    return out


_EXAMPLES = _examples()
_REGIONS = ["US"] * 6 + ["CA", "GB", "DE", "IT", "MX", "AR", "BR", "RU", "AU", "FR", "IN", "JP"]
_SEPARATORS = ["", " ", "-", ".", "  ", " - "]
_ODD_SEPARATORS = ["(", ")", "/", "\u00a0", "–", "\t", "_"]


@st.composite
def near_valid_phones(draw: st.DrawFn) -> tuple[str, str]:
    """A region's example number, maybe mistyped, written as people write numbers. The
    shape is drawn (and shrinks); typos and separators come from a drawn seed, which keeps
    2,000 examples within seconds."""
    example_region, cc, nsn = draw(st.sampled_from(_EXAMPLES))
    region = draw(st.sampled_from([example_region] * 12 + _REGIONS))
    typos = draw(st.sampled_from([0] * 12 + [1, 1, 2, 3]))
    prefix = draw(
        st.sampled_from(
            [f"+{cc}"] * 4
            + [
                f"+{cc} ",
                f"+{cc}-",
                "",
                "",
                "",
                "0",
                "0",
                "1",
                "8",
                f"{cc}",
                f"00{cc}",
                f"011 {cc}",
                f"+{cc} (0)",
                f"+{cc}0",
                "+",
                "++",
                "+0",
                "(",
                "Tel: ",
            ]
        )
    )
    suffix = draw(
        st.sampled_from([""] * 12 + [" x12", " ext. 3", "#", ";ext=4", ",,5", ")", "a", " "])
    )
    separator = draw(st.sampled_from(_SEPARATORS))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    digits = list(nsn)
    for _ in range(typos):
        edit = rnd.randrange(3)
        if edit == 0:
            digits[rnd.randrange(len(digits))] = rnd.choice("0123456789")
        elif edit == 1:
            digits.insert(rnd.randrange(len(digits) + 1), rnd.choice("0123456789"))
        elif len(digits) > 2:
            del digits[rnd.randrange(len(digits))]
    body, i = "", 0
    while i < len(digits):
        n = rnd.randint(1, 4)
        sep = rnd.choice(_ODD_SEPARATORS) if rnd.random() < 0.05 else separator
        body += ("" if i == 0 else sep) + "".join(digits[i : i + n])
        i += n
    value = prefix + body + suffix
    if rnd.random() < 0.05:
        i = rnd.randint(0, len(value))
        value = value[:i] + rnd.choice(["A", "x", "２", "+", ";", "٣"]) + value[i:]
    return region, value


def test_fast_phone_equals_the_library_on_generated_values() -> None:
    answered: list[bool] = []

    @hsettings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=near_valid_phones())
    def check(case: tuple[str, str]) -> None:
        answered.append(_check_phone(case[1], case[0]))

    check()
    # Near-valid: the fast path must answer often, or the comparison proves little (about a
    # fifth of the examples are plain valid numbers; most are mistyped or oddly written).
    assert sum(answered) > 0.1 * len(answered), f"{sum(answered)} of {len(answered)}"


@hsettings(max_examples=500, deadline=None)
@given(value=st.text(alphabet="0123456789 +-.()x#", max_size=24), region=st.sampled_from(_REGIONS))
def test_fast_phone_equals_the_library_on_any_digits(value: str, region: str) -> None:
    _check_phone(value, region)


def test_every_region_compiles_to_a_plan() -> None:
    """The plan's patterns are the metadata's: a region whose metadata the plan could not
    mirror would silently fall back to the library for all its numbers."""
    missing = [r for r in phonenumbers.SUPPORTED_REGIONS if fastnorm._region_plan(r) is None]
    assert missing == []
