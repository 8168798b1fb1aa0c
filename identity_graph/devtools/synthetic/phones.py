"""Valid phone numbers (per `phonenumbers.is_valid_number`) and the ways people write them.

Numbers are stored as E.164. Most are US numbers whose area code matches the person's city;
a few are foreign mobiles, which are always written internationally because parsing them
with the default region "US" would otherwise be ambiguous (as it is in real data).
"""

from __future__ import annotations

import re
from functools import cache
from random import Random

import phonenumbers
from phonenumbers import PhoneMetadata

from identity_graph.devtools.synthetic._rand import Weighted

DEFAULT_REGION = "US"

_FOREIGN = Weighted(
    ("CA", "MX", "GB", "IN", "PH", "DE", "AU", "VN", "NG", "FR"),
    (20, 18, 12, 12, 10, 8, 6, 6, 4, 4),
)


@cache
def _geographic() -> re.Pattern[str]:
    """The US plan's fixed-line/mobile pattern. Matching it is what makes a +1 number valid
    for region US, checked here in a microsecond where `is_valid_number` takes twenty."""
    meta = PhoneMetadata.metadata_for_region(DEFAULT_REGION)
    assert meta is not None and meta.fixed_line is not None
    pattern = meta.fixed_line.national_number_pattern
    assert pattern is not None
    return re.compile(pattern)


@cache
def us_area_codes() -> tuple[int, ...]:
    """Geographic US area codes (Canadian ones share +1 and are excluded, as are toll-free)."""
    match = _geographic().fullmatch
    return tuple(
        npa
        for npa in range(200, 1000)
        if any(match(f"{npa}{exchange}4567") for exchange in (234, 345, 456, 567, 678, 789))
    )


def us_number(rng: Random, npa: int | None) -> str:
    """E.164 US number, in area code `npa` when that is a geographic US one."""
    match = _geographic().fullmatch
    codes = us_area_codes()
    for attempt in range(100):
        if npa is None or attempt >= 20:
            # Some area codes only have a few exchanges in service: move on to another.
            npa = codes[int(rng.random() * len(codes))]
        exchange = 200 + int(rng.random() * 800)
        if exchange == 555:
            continue  # 555 numbers are mostly fictional
        national = f"{npa}{exchange}{int(rng.random() * 10_000):04d}"
        if match(national):
            return f"+1{national}"
    raise AssertionError("no valid US number found")  # pragma: no cover


def foreign_number(rng: Random) -> tuple[str, str]:
    """(E.164, international format) of a random valid mobile number outside the US."""
    region = _FOREIGN.pick(rng)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    nsn = str(example.national_number)
    for _ in range(50):
        tail = f"{rng.getrandbits(24) % 1_000_000:06d}"
        number = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int(nsn[:-6] + tail)
        )
        if phonenumbers.is_valid_number(number):
            break
    else:  # pragma: no cover - the example prefix always leaves valid tails
        number = example
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return e164, intl


def us_international(e164: str) -> str:
    return f"+1 {e164[2:5]}-{e164[5:8]}-{e164[8:]}"


def written(rng: Random, e164: str, intl: str) -> str:
    """One way a person or a form writes the number; all parse back to `e164` with region US."""
    r = rng.random()
    if e164.startswith("+1"):
        a, b, c = e164[2:5], e164[5:8], e164[8:]
        if r < 0.30:
            return f"({a}) {b}-{c}"
        if r < 0.50:
            return f"{a}-{b}-{c}"
        if r < 0.60:
            return f"{a}.{b}.{c}"
        if r < 0.70:
            return f"{a}{b}{c}"
        if r < 0.75:
            return f"1-{a}-{b}-{c}"
        if r < 0.85:
            return f"+1 {a}-{b}-{c}"
        if r < 0.90:
            return f"+1 ({a}) {b} {c}"
        return e164
    if r < 0.45:
        return intl
    if r < 0.70:
        return intl.replace(" ", "-")
    if r < 0.85:
        return e164
    if r < 0.95:
        # The US international dialling prefix instead of "+".
        return "011 " + intl[1:]
    return intl.replace(" ", "  ", 1)
