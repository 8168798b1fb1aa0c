"""Small builders that keep test bodies about behaviour."""

from __future__ import annotations

from itertools import count
from typing import Any

_ids = count()


def event(
    type_: str = "identify", ts: str = "2025-03-01T10:00:00Z", **fields: Any
) -> dict[str, Any]:
    """A Segment event; `email`/`phone`/`device`/`ad_id` go where Segment puts them."""
    ev: dict[str, Any] = {"type": type_, "messageId": f"m-{next(_ids)}", "timestamp": ts}
    traits = {k: fields.pop(k) for k in ("email", "phone") if k in fields}
    if traits:
        ev["traits"] = traits
    device = {}
    if "device" in fields:
        device["id"] = fields.pop("device")
    if "ad_id" in fields:
        device["advertisingId"] = fields.pop("ad_id")
    if device:
        ev["context"] = {"device": device}
    ev.update(fields)
    return ev


def login(user: str, cookie: str, **fields: Any) -> dict[str, Any]:
    return event("identify", userId=user, anonymousId=cookie, **fields)


def person_of(service: Any, key: str) -> str:
    found = service.store.identifier(key)
    assert found is not None, f"{key} not stored"
    return str(found[1])
