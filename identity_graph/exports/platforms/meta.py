"""Meta customer-file Custom Audiences through the Marketing API (`/{audience}/users`).

Rules: developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
("Hashing and normalizing data") and Conversions API customer-information-parameters:
emails trimmed and lower-cased (no gmail rule); phones digits only with the country code,
no '+', no leading zeros; names and city lower-case without punctuation, UTF-8 kept
(`Valéry` -> `valéry`; the Meta SDKs' `[^a-z]` filter would make it `valry`); zip lower-case
without spaces or dashes, first 5 digits in the US; country lower-case ISO alpha-2; birth
date as year, month and day. Everything is SHA-256 except mobile ad IDs, sent lower-case.
"""

from __future__ import annotations

from collections.abc import Mapping

from identity_graph.caches import short_text_cache
from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import normalize as n
from identity_graph.exports.platforms.base import (
    OnSkip,
    Platform,
    RowSpec,
    attempt,
    hashed_phone,
    plain,
    plain_email_keys,
)

# The multi-key `schema` of the users endpoint; the same names head the customer file.
COLUMNS = ("EMAIL", "PHONE", "MADID", "FN", "LN", "CT", "ZIP", "COUNTRY", "DOBY", "DOBM", "DOBD")
# "only a maximum of 10000 at a time" (Marketing API reference, Custom Audience Users).
BATCH_SIZE = 10_000
# Meta will not deliver to a customer list of fewer than 100 matched people (Meta Business
# Help "How to format a customer list": avoid lists of fewer than 100 people).
MIN_AUDIENCE = 100

normalize_email = n.email
normalize_phone = n.phone_digits  # (raw, default region)
normalize_name = n.letters_only
normalize_city = n.letters_only


_ZIP_DROP = str.maketrans("", "", " \t\r\n\f\v-")


@short_text_cache(maxsize=65_536)
def normalize_zip(raw: str, country: str | None = None) -> str:
    value = raw.lower().translate(_ZIP_DROP)
    if not value:
        raise InvalidValue("empty postal code")
    if country in (None, "us") and len(value) in (5, 9) and value.isdigit():
        value = value[:5]  # ZIP+4 matches as its 5-digit ZIP
    return value


def normalize_country(raw: str) -> str:
    return n.country_code(raw).lower()


@short_text_cache(maxsize=65_536)
def normalize_dob(raw: str) -> str:
    """YYYYMMDD (the Conversions API `db` form); the users endpoint takes its three parts."""
    return n.birth_date(raw).strftime("%Y%m%d")


normalize_maid = n.maid


def _person(attributes: Mapping[str, str], on_skip: OnSkip) -> dict[int, str]:
    out: dict[int, str] = {}
    country = attempt(attributes, "country", normalize_country, on_skip)
    for column, attr, fn in _TEXT:
        value = attempt(attributes, attr, fn, on_skip)
        if value is not None:
            out[column] = _hashed(value)
    if country is not None:
        out[7] = _hashed(country)
        zip_code = attempt(attributes, "postcode", lambda raw: normalize_zip(raw, country), on_skip)
    else:
        zip_code = attempt(attributes, "postcode", normalize_zip, on_skip)
    if zip_code is not None:
        out[6] = _hashed(zip_code)
    dob = attempt(attributes, "birth_date", normalize_dob, on_skip)
    if dob is not None:
        out[8], out[9], out[10] = _hashed(dob[:4]), _hashed(dob[4:6]), _hashed(dob[6:])
    return out


_TEXT = (
    (3, "given_name", normalize_name),
    (4, "surname", normalize_name),
    (5, "city", normalize_city),
)
# Attribute values repeat across people (names, years, months): hash each distinct once.
_hashed = short_text_cache(maxsize=65_536)(n.sha256)


SPEC = RowSpec(
    columns=COLUMNS,
    keys={
        **plain_email_keys(0),
        "phone": (1, hashed_phone(n.phone_digits)),
        "device_id": (2, plain(n.maid)),  # Meta matches mobile ad IDs unhashed
    },
    fill=_person,
)

PLATFORM = Platform("meta", SPEC, BATCH_SIZE, MIN_AUDIENCE)
