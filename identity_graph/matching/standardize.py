"""Standardize raw person records before blocking and comparison.

Comparisons are only as good as their inputs: "Smith ", "SMITH" and "smith" must be one
value, "nan" and "" must be missing, and dates must share one format. Everything here is
deterministic and cached per distinct value, because real files repeat values a lot.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from identity_graph.caches import MAX_CACHED_TEXT, short_text_cache

STANDARD_FIELDS: tuple[str, ...] = (
    "given_name",
    "surname",
    "date_of_birth",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "phone",
    "email",
)

# Header spellings seen in CRM/loyalty exports, keyed by their normalized form
# (lower case, non-alphanumerics collapsed to "_").
HEADER_ALIASES: dict[str, str] = {
    "first_name": "given_name",
    "firstname": "given_name",
    "forename": "given_name",
    "given": "given_name",
    "givenname": "given_name",
    "fname": "given_name",
    "last_name": "surname",
    "lastname": "surname",
    "family_name": "surname",
    "familyname": "surname",
    "lname": "surname",
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "birthdate": "date_of_birth",
    "date_birth": "date_of_birth",
    "birthday": "date_of_birth",
    "street_no": "street_number",
    "house_number": "street_number",
    "street_num": "street_number",
    "address": "address_1",
    "address1": "address_1",
    "address_line_1": "address_1",
    "address_line1": "address_1",
    "street": "address_1",
    "street_address": "address_1",
    "address2": "address_2",
    "address_line_2": "address_2",
    "address_line2": "address_2",
    "city": "suburb",
    "town": "suburb",
    "locality": "suburb",
    "zip": "postcode",
    "zipcode": "postcode",
    "zip_code": "postcode",
    "postal_code": "postcode",
    "post_code": "postcode",
    "postalcode": "postcode",
    "province": "state",
    "region": "state",
    "phone_number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "cell": "phone",
    "email_address": "email",
    "e_mail": "email",
    "mail": "email",
}

# Values that mean "no value" in exports (pandas NaN written as text, placeholders, ...).
JUNK_VALUES: frozenset[str] = frozenset(
    {
        "",
        "nan",
        "none",
        "null",
        "nil",
        "n/a",
        "na",
        "#n/a",
        "-",
        "--",
        "?",
        "unknown",
        "undefined",
        "not known",
        "not available",
    }
)

# Common address abbreviations; expanding them makes "12 smith st" equal "12 smith street".
ADDRESS_ABBREVIATIONS: dict[str, str] = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "ct": "court",
    "cres": "crescent",
    "cr": "crescent",
    "pl": "place",
    "ln": "lane",
    "hwy": "highway",
    "pde": "parade",
    "tce": "terrace",
    "cct": "circuit",
    "blvd": "boulevard",
    "pkwy": "parkway",
    "trl": "trail",
    "ter": "terrace",
    "cir": "circle",
    "wy": "way",
    "sq": "square",
    "apt": "apartment",
}

_CACHE_LIMIT = 1_000_000

DateOrder = Literal["dmy", "mdy"]
InvalidPolicy = Literal["raise", "null"]

_PUNCT = re.compile(r"[^\w\s'\-@.+]")
_SPACE = re.compile(r"\s+")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_NON_DIGIT = re.compile(r"\D")


@short_text_cache(maxsize=4096)
def normalize_header(name: str) -> str:
    """Canonical field name for a header: `"First Name"` -> `"given_name"`."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    return HEADER_ALIASES.get(key, key)


def to_text(value: object) -> str | None:
    """Lower-cased, accent-folded, whitespace-collapsed text; junk and NaN become None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return _clean_text(str(value))


@short_text_cache(maxsize=262_144)
def _clean_text(raw: str) -> str | None:
    text = raw
    if not text.isascii():
        # Drop combining marks so "José" and "Jose" agree; names are often typed without.
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACE.sub(" ", text).strip().lower()
    if text in JUNK_VALUES:
        return None
    return text


@short_text_cache(maxsize=262_144)
def clean_name(text: str) -> str | None:
    """Names keep letters, spaces, hyphens and apostrophes; punctuation becomes space."""
    out = _SPACE.sub(" ", _PUNCT.sub(" ", text).replace(".", " ")).strip()
    return out or None


@short_text_cache(maxsize=262_144)
def clean_address(text: str) -> str | None:
    tokens = _SPACE.sub(" ", re.sub(r"[^\w\s/\-]", " ", text)).split()
    out = " ".join(ADDRESS_ABBREVIATIONS.get(t, t) for t in tokens)
    return out or None


def clean_postcode(text: str) -> str | None:
    out = text.replace(" ", "").replace("-", "")
    return out or None


def clean_phone(text: str) -> str | None:
    """Digits only (a leading + is dropped with the rest); fewer than 6 digits is junk."""
    digits = _NON_DIGIT.sub("", text)
    return digits if len(digits) >= 6 else None


def clean_email(text: str) -> str | None:
    out = text.replace(" ", "")
    local, sep, domain = out.partition("@")
    if not sep or not local or "." not in domain:
        return None
    return out


def parse_date(
    value: str,
    *,
    field: str = "date_of_birth",
    date_order: DateOrder | None = None,
) -> str:
    """Parse a date to ISO `YYYY-MM-DD`.

    Accepts `1959-09-09` (also with `/` or `.`, optionally followed by a time) and
    `19590909`. `09/09/1959` is ambiguous between day-first and month-first, so it is only
    accepted with `date_order="dmy"` or `"mdy"`; guessing per row would silently swap day
    and month on some rows and not others. Raises ValueError naming `field` otherwise.
    """
    text = value.strip().lower()
    if m := _ISO.match(text) or _COMPACT.match(text):
        year, month, day = (int(g) for g in m.groups()[:3])
    elif m := _SLASHED.match(text):
        if date_order is None:
            raise ValueError(
                f"{field}: {value!r} is day/month ambiguous; "
                "pass date_order='dmy' (day first) or 'mdy' (month first)"
            )
        first, second, year = (int(g) for g in m.groups())
        day, month = (first, second) if date_order == "dmy" else (second, first)
    else:
        raise ValueError(f"{field}: cannot parse {value!r} as a date (expected YYYY-MM-DD)")
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError as exc:
        raise ValueError(f"{field}: {value!r} is not a valid date ({exc})") from None


class Standardizer:
    """Turns a raw row into standard fields.

    Header aliases are applied first, then per-field cleaning. Unknown columns are kept
    (cleaned as plain text) unless `keep_unknown=False`, so extra identifiers such as a
    national ID can still be compared.
    """

    def __init__(
        self,
        *,
        date_order: DateOrder | None = None,
        invalid_dates: InvalidPolicy = "raise",
        keep_unknown: bool = True,
        date_fields: Iterable[str] = ("date_of_birth",),
    ) -> None:
        self.date_order: DateOrder | None = date_order
        self.invalid_dates: InvalidPolicy = invalid_dates
        self.keep_unknown = keep_unknown
        self.date_fields = frozenset(date_fields)
        self._date_cache: dict[tuple[str, str], str | None] = {}
        # (field, raw value) -> cleaned: one dict lookup per value on repeated data.
        self._cache: dict[tuple[str, object], str | None] = {}

    def standardize_value(self, field: str, value: object) -> str | None:
        text = to_text(value)
        if text is None:
            return None
        if field in self.date_fields:
            return self._date(field, text)
        if field in ("given_name", "surname"):
            return clean_name(text)
        if field in ("address_1", "address_2", "suburb"):
            return clean_address(text)
        if field == "postcode":
            return clean_postcode(text)
        if field == "phone":
            return clean_phone(text)
        if field == "email":
            return clean_email(text)
        return text

    def _date(self, field: str, text: str) -> str | None:
        key = (field, text)
        if key in self._date_cache:
            return self._date_cache[key]
        if len(text) > MAX_CACHED_TEXT or len(self._date_cache) >= _CACHE_LIMIT:
            # Not a date anyone types, or a flood of distinct ones: not worth keeping.
            return self._parsed_date(field, text)
        out = self._date_cache[key] = self._parsed_date(field, text)
        return out

    def _parsed_date(self, field: str, text: str) -> str | None:
        try:
            out: str | None = parse_date(text, field=field, date_order=self.date_order)
        except ValueError:
            if self.invalid_dates == "raise":
                raise
            out = None
        return out

    def _cached(self, name: str, value: object) -> str | None:
        if value is None or (type(value) is float and value != value):  # None or NaN
            return None
        if type(value) is str and len(value) > MAX_CACHED_TEXT:
            return self.standardize_value(name, value)
        key = (name, value)
        try:
            return self._cache[key]
        except KeyError:
            cleaned = self.standardize_value(name, value)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = cleaned
            return cleaned
        except TypeError:  # unhashable value: clean it uncached
            return self.standardize_value(name, value)

    def standardize(self, row: Mapping[str, object]) -> dict[str, str | None]:
        """Standard-field dict for one raw row. Two headers aliasing to one field: the first
        non-missing value wins."""
        out: dict[str, str | None] = {}
        for header, value in row.items():
            name = normalize_header(header)
            if not self.keep_unknown and name not in STANDARD_FIELDS:
                continue
            cleaned = self._cached(name, value)
            if out.get(name) is None:
                out[name] = cleaned
        return out

    def standardize_columns(
        self, columns: Mapping[str, Sequence[object]]
    ) -> dict[str, list[str | None]]:
        """Column-wise `standardize`: the same result for a table, with the per-header work
        done once per column instead of once per cell."""
        out: dict[str, list[str | None]] = {}
        for header, values in columns.items():
            name = normalize_header(header)
            if not self.keep_unknown and name not in STANDARD_FIELDS:
                continue
            try:
                # Clean each distinct value once, then map (dict ops run at C speed).
                distinct: dict[object, str | None] = dict.fromkeys(values)
            except TypeError:  # an unhashable value somewhere: clean cell by cell
                cleaned = [self._cached(name, v) for v in values]
            else:
                for v in distinct:
                    distinct[v] = self._cached(name, v)
                cleaned = [distinct[v] for v in values]
            prev = out.get(name)
            out[name] = (
                cleaned
                if prev is None
                else [p if p is not None else c for p, c in zip(prev, cleaned, strict=True)]
            )
        return out

    def __call__(self, row: Mapping[str, object]) -> dict[str, str | None]:
        return self.standardize(row)


def standardize_records(
    rows: Iterable[Mapping[str, object]], standardizer: Standardizer | None = None
) -> list[dict[str, str | None]]:
    """Standardize many rows with one (shared-cache) standardizer."""
    std = standardizer or Standardizer()
    return [std.standardize(r) for r in rows]
