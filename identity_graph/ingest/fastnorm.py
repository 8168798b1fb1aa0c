"""Exact fast paths for email and phone normalization.

email-validator and phonenumbers define what an email and a phone number normalize to; their
generic code costs ~45 µs a first-seen value. For the shapes nearly all real values have,
these functions compute the same canonical value from the libraries' own constants and
metadata in a few microseconds. Each returns `None` whenever it cannot be sure — any other
shape, and every invalid value — and the caller then asks the library, so results and error
messages stay the library's. tests/test_normalize_fast.py compares both on generated and
real-world values; every rule below mirrors one branch of the library code named beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import email_validator
import phonenumbers
from email_validator import rfc_constants as _rfc
from phonenumbers import PhoneMetadata, phonenumberutil

# --- email (email_validator.validate_email with check_deliverability=False) -------------

# split_email + validate_email_local_part: an unquoted ASCII dot-atom local part is returned
# as is (DOT_ATOM_TEXT). validate_email_domain_name: an ASCII domain of letter-digit-hyphen
# labels is only lower-cased by UTS-46; labels are 1-63 characters that neither start nor
# end with a hyphen; globally deliverable means at least one period and a TLD ending in a
# letter (DOMAIN_NAME_REGEX).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z]"
_EMAIL = re.compile(
    rf"[{_rfc.ATEXT}]+(?:\.[{_rfc.ATEXT}]+)*@((?:{_LABEL}\.)+({_TLD}))",
)


@cache
def _special_tlds(names: tuple[str, ...]) -> frozenset[str] | None:
    # Every special-use name is a single label today, so a domain is special-use exactly
    # when its TLD is one; a dotted name (a future version's, or a caller's) turns the fast
    # path off.
    return None if any("." in name for name in names) else frozenset(names)


def fast_email(value: str) -> str | None:
    """`validate_email(value, check_deliverability=False).normalized.lower()` for plain
    ASCII addresses, else None (the library decides, with its message)."""
    # The library's module settings are read on every call, as validate_email reads them:
    # strict mode limits the local part, and callers may add special-use names.
    special = _special_tlds(tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES))
    if len(value) > _rfc.EMAIL_MAX_LENGTH or special is None or email_validator.STRICT:
        return None
    found = _EMAIL.fullmatch(value)
    if found is None:
        return None
    domain = found.group(1)
    # "--" at a label's third character is an R-LDH label (refused) or Punycode (decoded by
    # IDNA): both are the library's to handle. Elsewhere it is rare enough to leave too.
    if "--" in domain or len(domain) > _rfc.DOMAIN_MAX_LENGTH or found.group(2).lower() in special:
        return None
    return value.lower()


# --- phone (phonenumbers.parse, is_valid_number, format_number E164) ---------------------

# ASCII digits and the separators people type; '+' first only. For these strings parse()
# finds no RFC 3966 parameters, no extension (every extension form needs a letter, '#', '~',
# ',' or ';'), no letters to map, and the viability pattern always matches from three digits.
_PHONE = re.compile(r"\+?\(?[0-9][0-9 ().-]*[0-9]")
_SEPARATORS = str.maketrans("", "", "+ ().-")
_MIN_NSN = phonenumberutil._MIN_LENGTH_FOR_NSN
_MAX_NSN = phonenumberutil._MAX_LENGTH_FOR_NSN
_MAX_INPUT = phonenumberutil._MAX_INPUT_STRING_LENGTH
_MAX_CC = phonenumberutil._MAX_LENGTH_COUNTRY_CODE
_V = phonenumberutil.ValidationResult
_NOT_STRIPPED = frozenset((_V.TOO_SHORT, _V.IS_POSSIBLE_LOCAL_ONLY, _V.INVALID_LENGTH))


def _full(pattern: str | None) -> re.Pattern[str] | None:
    """A desc pattern: the library treats an empty one like a missing one (never matches)."""
    return re.compile(pattern) if pattern else None


def _prefix(pattern: str | None) -> re.Pattern[str] | None:
    """An IDD or leading-digits pattern: the library uses an empty one (matches anything)."""
    return None if pattern is None else re.compile(pattern)


@dataclass(frozen=True)
class _Plan:
    """One region's metadata, compiled for the checks parse() and is_valid_number() make."""

    country_code: int
    general: re.Pattern[str] | None
    lengths: tuple[int, ...]
    local_lengths: tuple[int, ...]
    national_prefix: re.Pattern[str] | None
    transform: str | None
    idd: re.Pattern[str] | None
    leading_digits: re.Pattern[str] | None
    # By NSN length: the union of the number-type patterns _number_type_helper tries (the
    # number is valid when the general pattern and one of them match), None if no type can.
    types: dict[int, re.Pattern[str] | None]

    def general_match(self, number: str) -> bool:  # _match_national_number(general_desc)
        return self.general is not None and self.general.fullmatch(number) is not None

    def known_type(self, nsn: str) -> bool:  # _number_type_helper(...) != UNKNOWN
        types = self.types.get(len(nsn))
        return types is not None and self.general_match(nsn) and bool(types.fullmatch(nsn))

    def length(self, number: str) -> int:  # _test_number_length(number, UNKNOWN)
        n = len(number)
        if n in self.local_lengths:
            return _V.IS_POSSIBLE_LOCAL_ONLY
        if n == self.lengths[0]:
            return _V.IS_POSSIBLE
        if n < self.lengths[0]:
            return _V.TOO_SHORT
        if n > self.lengths[-1]:
            return _V.TOO_LONG
        return _V.IS_POSSIBLE if n in self.lengths[1:] else _V.INVALID_LENGTH

    def strip_prefix(self, number: str) -> tuple[str, bool] | None:
        """_maybe_strip_national_prefix_carrier_code: (number, stripped), None if unsure."""
        if not number or self.national_prefix is None:
            return number, False
        found = self.national_prefix.match(number)
        if found is None:
            return number, False
        viable = self.general_match(number)
        groups = found.groups()
        if not self.transform or (groups and groups[-1] is None):
            rest = number[found.end() :]
        elif groups:
            rest = self.national_prefix.sub(self.transform, number, count=1)
        else:
            return None  # the library would fail on groups()[-1]
        if viable and not self.general_match(rest):
            return number, False
        return rest, True


_TYPE_FIELDS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P[=<]")


def _types_by_length(meta: PhoneMetadata) -> dict[int, re.Pattern[str] | None] | None:
    fields = _TYPE_FIELDS if meta.same_mobile_and_fixed_line_pattern else (*_TYPE_FIELDS, "mobile")
    general = meta.general_desc
    out: dict[int, re.Pattern[str] | None] = {}
    for n in range(_MIN_NSN, _MAX_NSN + 1):
        if general is None or (general.possible_length and n not in general.possible_length):
            out[n] = None
            continue
        patterns = []
        for field in fields:
            desc = getattr(meta, field)
            if desc is None or not desc.national_number_pattern:
                continue
            if desc.possible_length and n not in desc.possible_length:
                continue
            if _BACKREFERENCE.search(desc.national_number_pattern):
                return None  # an alternation would renumber its groups
            patterns.append(f"(?:{desc.national_number_pattern})")
        out[n] = re.compile("|".join(patterns)) if patterns else None
    return out


# Keyed by identity: PhoneMetadata is unhashable, and the library keeps one per region.
_PLANS: dict[int, tuple[PhoneMetadata, _Plan | None]] = {}


def _plan(meta: PhoneMetadata) -> _Plan | None:
    known = _PLANS.get(id(meta))
    if known is None or known[0] is not meta:
        known = _PLANS[id(meta)] = (meta, _compile_plan(meta))
    return known[1]


def _compile_plan(meta: PhoneMetadata) -> _Plan | None:
    general = meta.general_desc
    if meta.country_code is None or general is None or not general.possible_length:
        return None
    try:
        types = _types_by_length(meta)
    except re.error:
        return None  # a pattern that cannot sit inside an alternation (an inline flag)
    if types is None:
        return None
    return _Plan(
        country_code=meta.country_code,
        general=_full(general.national_number_pattern),
        lengths=tuple(general.possible_length),
        local_lengths=tuple(general.possible_length_local_only),
        national_prefix=_full(meta.national_prefix_for_parsing),
        transform=meta.national_prefix_transform_rule,
        idd=_prefix(meta.international_prefix),
        leading_digits=_prefix(meta.leading_digits),
        types=types,
    )


@cache
def _region_plan(region: str) -> _Plan | None:
    # parse() looks the region up upper-cased, but only accepts it as given (SUPPORTED_REGIONS).
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    meta = PhoneMetadata.metadata_for_region(region.upper(), None)
    return None if meta is None else _plan(meta)


@cache
def _country_plans(country_code: int) -> tuple[_Plan, tuple[_Plan, ...]] | None:
    """(the plan parse() uses for the country code, the plans region_code_for_number tries)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return None
    main = PhoneMetadata.metadata_for_region_or_calling_code(country_code, regions[0])
    main_plan = None if main is None else _plan(main)
    tried: list[_Plan] = []
    for region in regions:
        meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region.upper())
        if meta is None or meta.country_code != country_code:
            return None  # the library skips or refuses it: not mirrored
        plan = _plan(meta)
        if plan is None:
            return None
        tried.append(plan)
    if main_plan is None:
        return None
    return main_plan, tuple(tried)


def _valid(country_code: int, nsn: str) -> bool:
    """is_valid_number: the first region that claims the number must know its type."""
    plans = _country_plans(country_code)
    if plans is None:
        return False
    _, tried = plans
    if len(tried) == 1:
        return tried[0].known_type(nsn)
    for plan in tried:
        if plan.leading_digits is not None:
            if plan.leading_digits.match(nsn):
                return plan.known_type(nsn)
        elif plan.known_type(nsn):
            return True
    return False


def _country_code(digits: str) -> int:  # _extract_country_code
    if digits[0] == "0":
        return 0
    for i in range(1, min(len(digits), _MAX_CC) + 1):
        if int(digits[:i]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return int(digits[:i])
    return 0


def _international(digits: str) -> tuple[_Plan, str] | None:
    """After a '+' or an international prefix: the country code starts the number."""
    if len(digits) <= _MIN_NSN:
        return None
    code = _country_code(digits)
    plans = _country_plans(code) if code else None
    return None if plans is None else (plans[0], digits[len(str(code)) :])


def _split(digits: str, plus: bool, region: str) -> tuple[_Plan, str] | None:
    """_maybe_extract_country_code: the plan parse() goes on with, and the number left."""
    if plus:
        return _international(digits)
    plan = _region_plan(region)
    if plan is None:
        return None
    idd = None if plan.idd is None else plan.idd.match(digits)
    # _parse_prefix_as_idd: the region's international prefix counts unless a 0 follows it
    # (country codes never start with 0).
    if idd is not None and not digits.startswith("0", idd.end()):
        return _international(digits[idd.end() :])
    own = str(plan.country_code)
    if digits.startswith(own):
        stripped = plan.strip_prefix(digits[len(own) :])
        if stripped is None:
            return None
        rest = stripped[0]
        if (not plan.general_match(digits) and plan.general_match(rest)) or plan.length(
            digits
        ) == _V.TOO_LONG:
            plans = _country_plans(plan.country_code)
            if plans is None:
                return None
            main_region = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[plan.country_code][0]
            return (plan if main_region == region else plans[0]), rest
    return plan, digits


def fast_phone(value: str, region: str) -> str | None:
    """`format_number(parse(value, region), E164)` when the number is valid and written in
    digits and ' ().-' separators, else None (the library decides, with its message)."""
    # Only a supported region: parse() refuses national numbers otherwise, and "001" has no
    # region metadata, which changes its steps for international ones.
    if len(value) > _MAX_INPUT or _region_plan(region) is None or not _PHONE.fullmatch(value):
        return None
    digits = value.translate(_SEPARATORS)
    if len(digits) < 3:
        return None
    split = _split(digits, value[0] == "+", region)
    if split is None:
        return None
    plan, number = split
    if len(number) < _MIN_NSN:
        return None
    stripped = plan.strip_prefix(number)
    if stripped is None:
        return None
    if stripped[1] and plan.length(stripped[0]) not in _NOT_STRIPPED:
        number = stripped[0]
    if not _MIN_NSN <= len(number) <= _MAX_NSN:
        return None
    # With leading zeros parse() sets italian_leading_zero and their count, so the national
    # significant number is `number` itself in every case.
    if not _valid(plan.country_code, number):
        return None
    return f"+{plan.country_code}{number}"
