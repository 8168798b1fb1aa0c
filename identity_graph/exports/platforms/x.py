"""X (Twitter) Custom Audiences from lists (Ads API `custom_audiences/:id/users`).

Rules: developer.x.com/en/docs/x-ads-api/audiences/overview/user-data: emails trimmed and
lower-cased; usernames without '@', trimmed and lower-cased; IDFA lower-case with dashes,
AdID in its on-device form (lower-case with dashes). All SHA-256, lowercase hex.

Phones are not exported: that page gives no phone rule, and a hash of a guessed form
matches nobody. The store has no X usernames; `normalize_handle` is here for callers that do.
"""

from __future__ import annotations

from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import normalize as n
from identity_graph.exports.platforms.base import Platform, RowSpec, hashed, plain_email_keys

# Field names of a user in the users endpoint's request.
COLUMNS = ("email", "device_id")
# "The current maximum batch size is 2500" operations per request (Ads API reference,
# Custom Audience users).
BATCH_SIZE = 2_500
# "An audience can only be targeted if it matches at least 100 users active within the
# past 90 days" (developer.x.com Ads API, Custom Audiences overview).
MIN_AUDIENCE = 100

normalize_email = n.email


def normalize_handle(raw: str) -> str:
    value = raw.strip().lower().removeprefix("@")
    if not value:
        raise InvalidValue("empty username")
    return value


normalize_maid = n.maid


SPEC = RowSpec(
    columns=COLUMNS,
    keys={
        **plain_email_keys(0),
        "device_id": (1, hashed(n.maid)),
    },
)

PLATFORM = Platform("x", SPEC, BATCH_SIZE, MIN_AUDIENCE)
