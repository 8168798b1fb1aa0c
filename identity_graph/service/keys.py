"""API keys as use cases: create (the key is shown once), list, revoke, authenticate.

`authenticate` runs on every request, so it answers from a short-lived cache of digests
(`CACHE_SECONDS`): a revocation takes effect within that time in every worker process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel, Field

from identity_graph.errors import ConflictError, InvalidValue, NotFoundError, Unauthenticated
from identity_graph.ingest.observations import utc_now
from identity_graph.security.keys import (
    ROLES,
    Caller,
    Role,
    key_digest,
    looks_like_key,
    name_problem,
    new_key,
    scope_problem,
)
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ApiKeyRow, AuditRow, ChangeSet

CACHE_SECONDS = 5.0
# Digests remembered at most (misses too: a flood of made-up keys must not grow it).
_CACHE_MAX = 10_000


class ApiKeyInfo(BaseModel):
    """An API key as listed: never the key, never its digest."""

    name: str
    role: str
    segments: list[str] = Field(default_factory=list)
    destinations: list[str] = Field(default_factory=list)
    created_at: str
    revoked_at: str | None = None


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(
        name=row.name,
        role=row.role,
        segments=list(row.segments),
        destinations=list(row.destinations),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _caller(row: ApiKeyRow) -> Caller | None:
    if row.revoked_at is not None or row.role not in ROLES:
        return None
    role: Role = row.role  # narrowed by the ROLES check above
    return Caller(row.name, role, frozenset(row.segments), frozenset(row.destinations))


class ApiKeys:
    def __init__(
        self,
        store: GraphStore,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, Caller | None]] = {}
        self._lock = threading.Lock()

    def create(
        self,
        name: str,
        role: str,
        *,
        segments: Sequence[str] = (),
        destinations: Sequence[str] = (),
        by: str,
    ) -> tuple[ApiKeyInfo, str]:
        """A new key: its listing and the key itself, which is stored only as a digest
        and so can never be shown again."""
        if problem := name_problem(name):
            raise InvalidValue(f"name: {problem}")
        if role not in ROLES:
            raise InvalidValue(f"role: must be one of {', '.join(ROLES)}")
        for field, names in (("segment", segments), ("destination", destinations)):
            for n in names:
                if problem := scope_problem(n):
                    raise InvalidValue(f"{field}: {problem}")
        if role == "exporter" and not segments and not destinations:
            raise InvalidValue(
                "segment: an exporter key needs at least one segment or destination it may export"
            )
        if role != "exporter" and (segments or destinations):
            raise InvalidValue("segment: only an exporter key is scoped to segments/destinations")
        key = new_key()
        at = utc_now()
        row = ApiKeyRow(
            name=name,
            role=role,
            digest=key_digest(key),
            segments=tuple(sorted(set(segments))),
            destinations=tuple(sorted(set(destinations))),
            created_at=at,
        )
        with self._store.unit_of_work() as tx:
            if tx.api_keys([name]):
                raise ConflictError(
                    f"an API key named {name!r} exists (revoked keys keep their name, which "
                    "the audit trail refers to): choose another name"
                )
            tx.apply(ChangeSet(at=at, api_keys=[row], audit=[_audit(at, by, "key.create", row)]))
        return _info(row), key

    def list(self) -> list[ApiKeyInfo]:
        with self._store.reader() as r:
            return [_info(row) for row in r.api_keys()]

    def revoke(self, name: str, *, by: str) -> ApiKeyInfo:
        """Refuse the key from now on (within `CACHE_SECONDS` in running servers)."""
        at = utc_now()
        with self._store.unit_of_work() as tx:
            rows = tx.api_keys([name])
            if not rows:
                raise NotFoundError(f"no API key named {name!r}")
            row = rows[0]
            if row.revoked_at is None:
                row.revoked_at = at
                tx.apply(
                    ChangeSet(at=at, api_keys=[row], audit=[_audit(at, by, "key.revoke", row)])
                )
        with self._lock:
            self._cache.pop(row.digest, None)
        return _info(row)

    def authenticate(self, key: str) -> Caller:
        """The caller a key stands for; Unauthenticated for a malformed, unknown or revoked
        key (the same answer for each: a caller learns nothing about which keys exist)."""
        if not looks_like_key(key):
            raise Unauthenticated("the API key is not valid")
        digest = key_digest(key)
        now = self._clock()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            caller = hit[1]
        else:
            with self._store.reader() as r:
                row = r.api_key(digest)
            caller = None if row is None else _caller(row)
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[digest] = (now + self._ttl, caller)
        if caller is None:
            raise Unauthenticated("the API key is not valid")
        return caller


def _audit(at: str, by: str, action: str, row: ApiKeyRow) -> AuditRow:
    detail = {
        "role": row.role,
        "segments": list(row.segments),
        "destinations": list(row.destinations),
    }
    return AuditRow(
        at=at, actor=by, action=action, subject=f"api_key:{row.name}", detail=json.dumps(detail)
    )
