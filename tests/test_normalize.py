from __future__ import annotations

import pytest

from identity_graph.config import Settings
from identity_graph.errors import InvalidValue
from identity_graph.ingest.normalize import Normalizer


@pytest.fixture
def norm() -> Normalizer:
    return Normalizer(Settings())


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("email", " Anna.Smith@Example.COM ", "anna.smith@example.com"),
        ("email", "bob+shop@mail.example.org", "bob+shop@mail.example.org"),
        ("phone", "(201) 555-0123", "+12015550123"),
        ("phone", "+1 201-555-0123", "+12015550123"),
        ("phone", "+49 151 23456789", "+4915123456789"),
        (
            "device_id",
            "6d92078a-8246-4ba4-ae5b-76104861e7dc",
            "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        ),
        ("cookie", "  ajs-anon-1 ", "ajs-anon-1"),
        ("customer_id", 12345, "12345"),
        ("hashed_email", "A" * 64, "a" * 64),
    ],
)
def test_canonical_values(norm: Normalizer, type_: str, raw: object, expected: str) -> None:
    assert norm.normalize(type_, raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("device_id", "00000000-0000-0000-0000-000000000000"),  # ad tracking limited
        ("email", "test@test.com"),
        ("email", " UNKNOWN "),
        ("cookie", "null"),
        ("customer_id", ""),
        ("customer_id", "   "),
    ],
)
def test_placeholders_are_not_identifiers(norm: Normalizer, type_: str, raw: str) -> None:
    assert norm.normalize(type_, raw) is None


@pytest.mark.parametrize(
    ("type_", "raw", "reason"),
    [
        ("email", "anna@", "after the @-sign"),
        ("email", "anna.example.com", "@-sign"),
        ("phone", "12", "not a valid phone number"),
        ("phone", "call me", "cannot parse"),
        ("hashed_email", "abc", "SHA-256"),
        ("cookie", "a\nb", "control characters"),
        ("cookie", "x" * 600, "longer than"),
        ("shoe_size", "42", "unknown identifier type"),
    ],
)
def test_malformed_values_say_why(norm: Normalizer, type_: str, raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        norm.normalize(type_, raw)


def test_non_string_values_are_rejected(norm: Normalizer) -> None:
    with pytest.raises(InvalidValue, match="expected a string"):
        norm.normalize("email", {"a": 1})
    with pytest.raises(InvalidValue, match="expected a string"):
        norm.normalize("customer_id", True)


def test_configured_junk_and_region() -> None:
    norm = Normalizer(Settings(junk_values=["guest"], default_phone_region="DE"))
    assert norm.normalize("customer_id", "GUEST") is None
    assert norm.normalize("phone", "0151 23456789") == "+4915123456789"
    # the defaults are replaced, not extended
    assert norm.normalize("customer_id", "unknown") == "unknown"


def test_cached_errors_raise_every_time(norm: Normalizer) -> None:
    for _ in range(3):
        with pytest.raises(InvalidValue):
            norm.normalize("email", "nope")


def test_oversized_values_are_refused_before_the_cache(norm: Normalizer) -> None:
    """200 distinct 1 MB user IDs once stayed in the cache: refused values over the length
    limit never reach it."""
    before = norm._cached.cache_info().currsize
    for i in range(50):
        with pytest.raises(InvalidValue, match="longer than"):
            norm.normalize("customer_id", f"{i}" + "x" * 100_000)
    assert norm._cached.cache_info().currsize == before


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("u\ud800x", "not valid Unicode"),
        ("u\x07x", "control characters"),
        ("u\x85x", "control characters"),
        ("u\x7fx", "control characters"),
    ],
)
def test_identifiers_hold_printable_unicode_only(norm: Normalizer, raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason) as err:
        norm.normalize("customer_id", raw)
    assert raw not in str(err.value)  # the value itself is never in the message
