"""Google Customer Match through the Data Manager API (contact-information lists).

Rules: developers.google.com/data-manager/api/devguides/concepts/formatting and the
formatter of googleads/data-manager-python (tests/formatter_test.py): emails trimmed
(inner white space too) and lower-cased, and for gmail.com/googlemail.com only, dots and
any `+tag` dropped from the local part; phones E.164 with '+'; given/family names trimmed
and lower-cased; all three SHA-256 (lowercase hex). Region code and postal code are NOT
hashed.
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
    hashed,
    hashed_phone,
)

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_WHITESPACE = str.maketrans("", "", " \t\r\n\f\v")

# Column names of the Customer Match contact-info CSV template (Google Ads Help,
# "Customer Match data file formatting"); mobile IDs go to lists of their own there.
COLUMNS = ("Email", "Phone", "First Name", "Last Name", "Country", "Zip")
# audienceMembers.ingest takes up to 10,000 audience members per request
# (developers.google.com/data-manager/api/reference/rest/v1/audienceMembers/ingest).
BATCH_SIZE = 10_000
# Customer Match serves a list once it has 100 active matched members on Display/YouTube
# (Google Ads Help "About Customer Match" size requirements; Search needs 1,000).
MIN_AUDIENCE = 100


def normalize_email(raw: str) -> str:
    value = n.email(raw.translate(_WHITESPACE))
    local, _, domain = value.partition("@")
    if domain in _GMAIL:
        # Gmail ignores dots and +tags, so Google matches on the bare mailbox; other
        # providers may not, so their dots and plus signs are part of the address.
        local = local.partition("+")[0].replace(".", "")
        if not local:
            raise InvalidValue("empty gmail local part")
        value = f"{local}@{domain}"
    return value


normalize_phone = n.e164  # (raw, default region)
normalize_name = n.name
normalize_country = n.country_code


def normalize_postal_code(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise InvalidValue("empty postal code")
    return value


def _address(attributes: Mapping[str, str], on_skip: OnSkip) -> dict[int, str]:
    given = attempt(attributes, "given_name", normalize_name, on_skip)
    family = attempt(attributes, "surname", normalize_name, on_skip)
    country = attempt(attributes, "country", normalize_country, on_skip)
    postcode = attempt(attributes, "postcode", normalize_postal_code, on_skip)
    if given is None or family is None or country is None or postcode is None:
        return {}  # Google matches an address only with all four parts
    return {2: _hashed(given), 3: _hashed(family), 4: country, 5: postcode}


# Names repeat across people: hash each distinct one once.
_hashed = short_text_cache(maxsize=65_536)(n.sha256)


# hashed_email is not exported: it cannot have had the gmail rule applied, and a hash of a
# differently normalized address matches nobody.
SPEC = RowSpec(
    columns=COLUMNS,
    keys={"email": (0, hashed(normalize_email)), "phone": (1, hashed_phone(n.e164))},
    fill=_address,
)

PLATFORM = Platform("google", SPEC, BATCH_SIZE, MIN_AUDIENCE)
