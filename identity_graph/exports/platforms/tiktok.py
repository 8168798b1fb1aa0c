"""TikTok Custom Audience from a customer file (Ads Manager or the Business API file upload).

Rules: ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file
(August 2025): emails lower-case with any `+tag` removed from the local part (all domains);
phones digits only with the country code, no '+', no leading zeros; MAIDs in one consistent
case (lower-case here). All SHA-256.

Phones, the one contradiction: an earlier version of the page (and its preview
5gcDeV2ckkwNVh1BedxvSJ) asks for E.164 with '+' but prints, beside "+37493828222", the hash
65b7e6dc...22d4, which is the hash of "37493828222" without '+'. The current rule text
says to remove '+' and its examples normalize "374-93-828222" to "37493828222". Rule text
and the only published hash agree on digits without '+', so that is the form used here.
"""

from __future__ import annotations

from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import normalize as n
from identity_graph.exports.platforms.base import Platform, RowSpec, hashed, hashed_phone

# Required header names for hashed values in a multi-ID customer file (same page).
COLUMNS = ("Email_SHA256", "Phone_SHA256", "MAID_SHA256")
# A customer file may be up to 1 GB (help: "How to create a Custom Audience with a customer
# file"); the widest row here is 64 hex + 2 commas + newline = 67 bytes, so 10,000,000 rows
# (670 MB) leave room to spare.
BATCH_SIZE = 10_000_000
# "File must contain at least 1000 entries" (same help article).
MIN_AUDIENCE = 1_000


def normalize_email(raw: str) -> str:
    local, _, domain = n.email(raw).partition("@")
    local = local.partition("+")[0]
    if not local:
        raise InvalidValue("empty local part")
    return f"{local}@{domain}"


normalize_phone = n.phone_digits  # (raw, default region)
normalize_maid = n.maid


# hashed_email is not exported: TikTok strips `+tags`, which a stored hash cannot have had
# applied, and a hash of a differently normalized address matches nobody.
SPEC = RowSpec(
    columns=COLUMNS,
    keys={
        "email": (0, hashed(normalize_email)),
        "phone": (1, hashed_phone(n.phone_digits)),
        "device_id": (2, hashed(n.maid)),
    },
)

PLATFORM = Platform("tiktok", SPEC, BATCH_SIZE, MIN_AUDIENCE)
