"""Snap Customer Lists (Marketing API `POST /segments/{id}/users`).

Rules: developers.snap.com/api/marketing-api/Ads-API/customer-lists and the Conversions
API Parameters page: emails trimmed and lower-cased; phones digits with the country code,
no '+', no leading zeros (`+44 844 412 4653` -> `448444124653`); mobile ad IDs lower-case.
All SHA-256. (snap-business-sdk is not used: it prepends a wrong `1` to some phones.)
"""

from __future__ import annotations

from identity_graph.exports.platforms import normalize as n
from identity_graph.exports.platforms.base import (
    Platform,
    RowSpec,
    hashed,
    hashed_phone,
    plain_email_keys,
)

# The users endpoint's schema names; one request carries one of them.
COLUMNS = ("EMAIL_SHA256", "PHONE_SHA256", "MOBILE_AD_ID_SHA256")
# Up to 100,000 identifiers per request (Snap Marketing API, as applied by RudderStack's
# Snapchat Custom Audience destination, which batches at that size).
BATCH_SIZE = 100_000
# Snap targets a customer list once it has 1,000 matched users (targetable_status
# TOO_FEW_USERS below that; Salesforce's Snapchat activation connector documents 1,000).
MIN_AUDIENCE = 1_000

normalize_email = n.email
normalize_phone = n.phone_digits  # (raw, default region)
normalize_maid = n.maid


SPEC = RowSpec(
    columns=COLUMNS,
    keys={
        **plain_email_keys(0),
        "phone": (1, hashed_phone(n.phone_digits)),
        "device_id": (2, hashed(n.maid)),
    },
)

PLATFORM = Platform("snap", SPEC, BATCH_SIZE, MIN_AUDIENCE)
