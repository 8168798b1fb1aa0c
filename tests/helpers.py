"""Small builders that keep test bodies about behaviour."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import count
from typing import Any

from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore, assignments
from identity_graph.views import Identifier, Link

_ids = count()
_key_names = count()


def issue_key(
    service_or_store: IdentityService | GraphStore,
    role: str,
    name: str | None = None,
    segments: Sequence[str] = (),
    destinations: Sequence[str] = (),
) -> str:
    """A new API key of `role` on this store (the plaintext key, as `keys create` prints it)."""
    from identity_graph.service.keys import ApiKeys

    store = (
        service_or_store.store
        if isinstance(service_or_store, IdentityService)
        else service_or_store
    )
    _, key = ApiKeys(store).create(
        name or f"test-{role}-{next(_key_names)}",
        role,
        segments=segments,
        destinations=destinations,
        by="tests",
    )
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


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
    found = reads(service.store).identifiers([key]).get(key)
    assert found is not None, f"{key} not stored"
    return str(found.person_id)


class _Reads:
    """Each call is one read snapshot of the store (iterators are read into lists)."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._store.reader() as r:
                out = getattr(r, name)(*args, **kwargs)
                return list(out) if isinstance(out, Iterator) else out

        return call


def reads(store: GraphStore) -> Any:
    """`reads(store).hubs()`: a StoreReader method called in its own read snapshot."""
    return _Reads(store)


def all_assignments(store: GraphStore) -> dict[str, str]:
    with store.reader() as r:
        return dict(assignments(r))


def person_links(service: IdentityService, person_id: str) -> list[Link]:
    """The links among a person's identifiers, as the API shows them."""
    return [row.view() for row in reads(service.store).person_links([person_id])]


def members(service: IdentityService, person_id: str) -> list[Identifier]:
    return [i.view() for i in reads(service.store).members([person_id]).get(person_id, [])]


def link_views(store: GraphStore, keys: list[str]) -> list[Link]:
    """Every link with an end in `keys`, as the API shows them."""
    return [row.view() for row in reads(store).links(keys)]
