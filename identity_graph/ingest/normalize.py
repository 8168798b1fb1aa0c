"""Identifier normalization: one canonical value per real-world identifier.

`Normalizer.normalize` returns the canonical value, `None` for a placeholder (junk values,
all-zero ad IDs: dropped and counted, never linked), or raises `InvalidValue` with the reason.
Results are cached: the same cookie or email arrives in thousands of events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from identity_graph.config import Settings
from identity_graph.errors import InvalidValue
from identity_graph.ingest.fastnorm import fast_email, fast_phone

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ZERO_ID = re.compile(r"^[0\-]+$")
_MAX_LEN = 512
# Leading and trailing blanks are trimmed before the length check; beyond this the value
# is refused without being trimmed, normalized or cached.
_MAX_RAW_LEN = 2 * _MAX_LEN
# C0 and C1 control characters (and DEL), and lone UTF-16 surrogates, which a JSON "\ud800"
# escape produces and no UTF-8 text can hold.
_BAD_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why a string cannot be an identifier or a message ID, or None (never the value)."""
    found = _BAD_CHARACTERS.search(value)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return "is not valid Unicode (a lone surrogate)"
    return "contains control characters"


# Free text (an address, a name) may hold tabs and line breaks; nothing else invisible.
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def free_text_problem(value: str) -> str | None:
    """Like `text_problem`, for text that may span lines (tab, CR and LF allowed)."""
    if _BAD_IN_TEXT.search(value) is None:
        return None
    return text_problem(value.replace("\t", " ").replace("\n", " ").replace("\r", " "))


Normalize = Callable[[str], str | None]


def _email(raw: str) -> str:
    """The definition: email-validator's normalized address."""
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(str(exc)) from None
    # Mailbox local parts are case-sensitive by RFC, but no provider treats them so and
    # people type them in any case: lower-casing is what every CDP does.
    return result.normalized.lower()


def _fast_email(raw: str) -> str:
    found = fast_email(raw)
    return _email(raw) if found is None else found


def _phone_normalizer(region: str) -> Normalize:
    """The definition: phonenumbers' E.164 form of a valid number."""

    def normalize(raw: str) -> str:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException as exc:
            raise InvalidValue(f"cannot parse phone number: {exc._msg}") from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidValue(f"not a valid phone number (default region {region})")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return normalize


def _fast_phone_normalizer(region: str) -> Normalize:
    library = _phone_normalizer(region)

    def normalize(raw: str) -> str | None:
        found = fast_phone(raw, region)
        return library(raw) if found is None else found

    return normalize


def _upper(raw: str) -> str | None:
    value = raw.upper()
    # Devices with ad tracking limited send the all-zero IDFA/GAID: shared by millions.
    return None if _ZERO_ID.match(value) else value


def _sha256(raw: str) -> str:
    value = raw.lower()
    if not _HEX64.match(value):
        raise InvalidValue("expected a SHA-256 hex digest (64 hex characters)")
    return value


def _trim(raw: str) -> str:
    return raw


class Normalizer:
    """Normalizes raw values per identifier type, as configured in `Settings`.

    Emails and phones take the exact fast paths of `fastnorm` first (the libraries answer
    whatever those leave); `fast_paths=False` asks the libraries for every value, which only
    the differential tests and the benchmark need.
    """

    def __init__(
        self, settings: Settings, cache_size: int = 262_144, *, fast_paths: bool = True
    ) -> None:
        self._junk = frozenset(v.strip().lower() for v in settings.junk_values)
        region = settings.default_phone_region
        funcs: dict[str, Normalize] = {
            "email": _fast_email if fast_paths else _email,
            "phone": _fast_phone_normalizer(region) if fast_paths else _phone_normalizer(region),
            "upper": _upper,
            "trim": _trim,
            "sha256": _sha256,
        }
        self._by_type = {t: funcs[n] for t, n in settings.identifier_types.items()}
        self._cached = lru_cache(maxsize=cache_size)(self._uncached)

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._by_type)

    def normalize(self, type_: str, raw: object) -> str | None:
        """Canonical value, or None for a placeholder. Raises InvalidValue."""
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise InvalidValue(f"expected a string, got {type(raw).__name__}")
        text = str(raw)
        # Checked before the cache: a flood of huge distinct values must not fill it.
        if len(text) > _MAX_RAW_LEN:
            raise InvalidValue(f"longer than {_MAX_LEN} characters")
        result = self._cached(type_, text)
        if isinstance(result, InvalidValue):
            raise InvalidValue(str(result))
        return result

    def _uncached(self, type_: str, raw: str) -> str | InvalidValue | None:
        func = self._by_type.get(type_)
        if func is None:
            return InvalidValue(f"unknown identifier type {type_!r}")
        value = raw.strip()
        if value.lower() in self._junk:
            return None
        if len(value) > _MAX_LEN:
            return InvalidValue(f"longer than {_MAX_LEN} characters")
        if (problem := text_problem(value)) is not None:
            return InvalidValue(problem)
        try:
            normalized = func(value)
        except InvalidValue as exc:
            return exc
        if normalized is not None and normalized.lower() in self._junk:
            return None
        return normalized
