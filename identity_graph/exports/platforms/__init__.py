"""Ad platforms an audience can be exported to: their normalization rules and upload format.

Pure: no store access. The export pipeline hands each person in as an `ExportPerson` and
writes `Platform.rows(person)` out, `batch_size` rows per upload request.

Identifier types: email and phone go to every platform that takes them; device_id only
when it is a mobile ad ID (a UUID: IDFA/GAID); hashed_email only where the platform's
email rule is plain trim + lower-case (Meta, LinkedIn, Snap, X; not Google's gmail rule or
TikTok's +tag rule); cookie, customer_id, crm_id and loyalty_id never leave.
"""

from __future__ import annotations

from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import google, linkedin, meta, snap, tiktok, x
from identity_graph.exports.platforms.base import ExportPerson, OnSkip, Platform, Row

__all__ = ["PLATFORMS", "ExportPerson", "OnSkip", "Platform", "Row", "get_platform"]

PLATFORMS: dict[str, Platform] = {
    m.PLATFORM.name: m.PLATFORM for m in (google, meta, tiktok, linkedin, snap, x)
}


def get_platform(name: str, default_region: str | None = None) -> Platform:
    """The platform called `name` (any case), with `default_region` for phones if given."""
    found = PLATFORMS.get(name.strip().lower())
    if found is None:
        # The name is the caller's input, not personal data: it may be echoed.
        known = ", ".join(sorted(PLATFORMS))
        raise InvalidValue(f"unknown platform {name!r}; known platforms: {known}")
    return found if default_region is None else found.with_region(default_region)
