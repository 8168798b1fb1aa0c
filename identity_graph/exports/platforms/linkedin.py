"""LinkedIn Matched Audiences: contact list upload (Campaign Manager CSV template, or the
DMP Segment List Uploads API which takes the same CSV).

Rules: linkedin.com/help/lms/answer/a1489764 ("Requirements for contact targeting lists")
and learn.microsoft.com/linkedin/marketing/matched-audiences: email plain or SHA-256
(sent SHA-256 of the trimmed, lower-cased address); country as ISO alpha-2, plain.

Not exported: names, which LinkedIn takes only in plain text and matches only together
with a company name we do not hold (plain names for no match gain would be needless
exposure); mobile ad IDs, because the template has only `googleaid` and a stored device_id
does not say whether it is a GAID or an IDFA.
"""

from __future__ import annotations

from collections.abc import Mapping

from identity_graph.exports.platforms import normalize as n
from identity_graph.exports.platforms.base import (
    OnSkip,
    Platform,
    RowSpec,
    attempt,
    plain_email_keys,
)

# The template's headers, which must not be changed or removed (help article above).
COLUMNS = ("email", "firstname", "lastname", "jobtitle", "employeecompany", "country", "googleaid")
# A list may hold 300,000 records or 20 MB; a row here is at most 64 hex + 6 commas +
# 2 + newline = 73 bytes, and 250,000 of them (18.3 MB) stay under both.
BATCH_SIZE = 250_000
# "Your list must match a minimum of 300 member accounts" (help article above).
MIN_AUDIENCE = 300

normalize_email = n.email
normalize_country = n.country_code


def _country(attributes: Mapping[str, str], on_skip: OnSkip) -> dict[int, str]:
    country = attempt(attributes, "country", normalize_country, on_skip)
    return {} if country is None else {5: country}


SPEC = RowSpec(
    columns=COLUMNS,
    keys=plain_email_keys(0),
    fill=_country,
)

PLATFORM = Platform("linkedin", SPEC, BATCH_SIZE, MIN_AUDIENCE)
