"""Normalization pieces the platforms share; each platform module picks its own rules.

Everything raises `InvalidValue` with a reason that never repeats the value (it is personal
data). Values from our store are already normalized (emails lower-cased, phones E.164), so
the common cases take string-only fast paths: exports must reach 200,000 hashed rows/s.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from functools import cache

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

from identity_graph.caches import short_text_cache
from identity_graph.errors import InvalidValue

_MAID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ZERO_MAID = "00000000-0000-0000-0000-000000000000"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_SPACES = re.compile(r"\s+")
# Person attributes repeat across a population (first names, dates, postcodes): their
# normalizers are cached, which is most of what keeps rows() above 200,000 rows/s.
_ATTRIBUTE_CACHE = 65_536


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def email(raw: str) -> str:
    """Trimmed and lower-cased: the rule of every platform here (Google adds its own)."""
    value = raw.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise InvalidValue("not an email address")
    return value


def hashed_email(raw: str) -> str:
    """A stored `hashed_email`: SHA-256 hex of an email trimmed and lower-cased upstream."""
    value = raw.strip().lower()
    if not _HEX64.fullmatch(value):
        raise InvalidValue("not a SHA-256 hex digest")
    return value


def e164(raw: str, region: str) -> str:
    """E.164 with '+'. Fast path: a value already in E.164 (what the store holds, formatted
    by phonenumbers at ingest) is returned as it is, with no parse; anything else is parsed."""
    # No country code starts with 0, E.164 is at most 15 digits, and isascii because
    # str.isdigit also accepts other scripts' digits.
    fast = raw[:1] == "+" and 8 <= len(raw) <= 16 and raw[1:].isdigit() and raw[1] != "0"
    if fast and raw.isascii():
        return raw
    parsed = _parse_phone(raw.strip(), region.upper())
    if parsed is None:
        raise InvalidValue(f"not a valid phone number (default region {region.upper()})")
    return parsed


@short_text_cache(maxsize=65_536)
def _parse_phone(raw: str, region: str) -> str | None:
    candidates = [(raw, region)]
    digits = "".join(c for c in raw if c.isdigit())
    if not raw.startswith("+") and digits:
        # Platforms' own examples write international numbers with the country code but no
        # '+' (TikTok's "374-93-828222"): tried only when the default region fails.
        candidates.append(("+" + digits.lstrip("0"), region))
    for text, reg in candidates:
        try:
            number = phonenumbers.parse(text, reg)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def phone_digits(raw: str, region: str) -> str:
    """Country code and number, digits only (no '+', no leading zeros)."""
    return e164(raw, region)[1:]


def maid(raw: str) -> str:
    """A mobile ad ID (IDFA or GAID: a UUID), lower-case with dashes. The store keeps
    device_id upper-case; device IDs that are not UUIDs (cookies, vendor IDs) are no MAIDs."""
    value = raw.strip().lower()
    if not _MAID.fullmatch(value):
        raise InvalidValue("not a mobile advertising ID (IDFA/GAID)")
    if value == _ZERO_MAID:
        raise InvalidValue("all-zero mobile advertising ID (ad tracking limited)")
    return value


@short_text_cache(maxsize=_ATTRIBUTE_CACHE)
def name(raw: str) -> str:
    """Trimmed, inner white space collapsed, lower-cased; empty is skipped."""
    value = _SPACES.sub(" ", raw.strip()).lower()
    if not value:
        raise InvalidValue("empty name")
    return value


@short_text_cache(maxsize=_ATTRIBUTE_CACHE)
def letters_only(raw: str) -> str:
    """Lower-case letters and digits only: punctuation, symbols and spaces go, accents and
    other scripts stay (NFC, so `Valéry` is `valéry` whichever way the é was typed)."""
    value = unicodedata.normalize("NFC", raw).lower()
    kept = "".join(c for c in value if c.isalnum() or unicodedata.category(c)[0] == "M")
    if not kept:
        raise InvalidValue("empty after removing punctuation")
    return kept


@short_text_cache(maxsize=_ATTRIBUTE_CACHE)
def birth_date(raw: str) -> date:
    """ISO (YYYY-MM-DD or YYYYMMDD, what the store keeps) or US M/D/YYYY."""
    value = raw.strip()
    if m := _ISO_DATE.fullmatch(value):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _US_DATE.fullmatch(value):
        mo, d, y = (int(g) for g in m.groups())
    else:
        raise InvalidValue("not a date (expected YYYY-MM-DD or M/D/YYYY)")
    try:
        born = date(y, mo, d)
    except ValueError:
        raise InvalidValue("not a calendar date") from None
    if born.year < 1900:
        raise InvalidValue("birth year before 1900")
    return born


@short_text_cache(maxsize=_ATTRIBUTE_CACHE)
def country_code(raw: str) -> str:
    """ISO 3166-1 alpha-2, upper-case, from a code or an English country name."""
    value = _SPACES.sub(" ", raw.strip()).upper()
    # Names (and "UK", which people write but ISO spells GB) first, then the codes.
    code = _country_names().get(value)
    if code is None and value in _country_codes():
        code = value
    if code is None:
        raise InvalidValue("unknown country (expected ISO 3166-1 alpha-2 or English name)")
    return code


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(_country_names().values())


@cache
def _country_names() -> dict[str, str]:
    # phonenumbers (already a dependency) carries every region's English name.
    names: dict[str, str] = {"USA": "US", "UNITED STATES OF AMERICA": "US", "UK": "GB"}
    for region, by_lang in LOCALE_DATA.items():
        if len(region) != 2 or not region.isalpha():
            continue
        english = by_lang.get("en", "")
        while english.startswith("*"):
            english = by_lang.get(english[1:], "")
        if english:
            names.setdefault(english.upper(), region)
    return names
