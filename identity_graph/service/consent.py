"""A steward withdraws a person's consent (the customer asked by phone, by letter).

The withdrawal is a consent signal like an ingested one (newest wins, a denial wins a
tie), written for every identifier the person holds, from source `steward`, in one unit of
work with its audit row (`consent.withdraw`). Its time is now, or the newest stored signal
of that purpose on the person if that is later (events may carry a time a little in the
future): so the withdrawal always takes effect, and only a signal newer than it (the
customer consenting again) can undo it. Exports leave the person out from then on: the
next delta of a destination lists their rows on its `remove` side.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from identity_graph import audit
from identity_graph.config import Settings
from identity_graph.errors import InvalidValue
from identity_graph.ids import PersonId
from identity_graph.ingest.observations import format_ts, utc_now
from identity_graph.profiles.build import gone
from identity_graph.profiles.lineage import resolve
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import AuditRow, ChangeSet, ConsentRow

STEWARD_SOURCE = "steward"
ACTION = "consent.withdraw"


class ConsentWithdrawn(BaseModel):
    person_id: str = Field(description="the current person (an old ID resolves to it)")
    purpose: str
    granted: bool = False
    identifiers: int = Field(description="identifiers the denial was written for")
    at: str = Field(description="the time of the denial (ISO-8601 UTC)")


def purposes(settings: Settings) -> set[str]:
    """The consent purposes this deployment knows."""
    return set(settings.consent_categories.values()) | set(settings.consent_defaults)


def withdraw_consent(
    store: GraphStore,
    settings: Settings,
    person_id: str,
    purpose: str,
    by: str,
    reason: str,
) -> ConsentWithdrawn:
    known = purposes(settings)
    if purpose not in known:
        # Purposes are configuration, not personal data: naming them helps the caller.
        raise InvalidValue(f"purpose: unknown consent purpose; known: {', '.join(sorted(known))}")
    with store.unit_of_work() as tx:
        found = resolve(tx, person_id)
        current = found.person.person_id
        members = tx.members([current]).get(current, [])
        if not members:
            raise gone(person_id, found)
        keys = [i.key for i in members]
        stored = [c for c in tx.consent(keys) if c.purpose == purpose and c.at is not None]
        at = max([utc_now(), *(format_ts(c.at) for c in stored if c.at is not None)])
        before = {c.identifier: c.granted for c in stored}
        people: dict[str, list[str]] = {current: list[str](keys)}
        body = audit.detail(
            reason=reason,
            persons=[person_id, current],
            identifiers=keys,
            before={**audit.side(people), "granted": _granted_side(before)},
            after={
                **audit.side(people),
                "granted": dict.fromkeys(sorted(keys)[: audit.MAX_SIDE_KEYS], False),
            },
            purpose=purpose,
            source=STEWARD_SOURCE,
        )
        tx.apply(
            ChangeSet(
                at=at,
                consent=[ConsentRow(k, purpose, False, STEWARD_SOURCE, at) for k in keys],
                touched_persons={PersonId(current)},
                audit=[AuditRow(at, by, ACTION, audit.person_subject(current), body)],
            )
        )
    return ConsentWithdrawn(person_id=current, purpose=purpose, identifiers=len(keys), at=at)


def _granted_side(signals: dict[str, bool]) -> dict[str, bool]:
    """key -> its stored signal of the purpose before (keys without one are absent)."""
    return {k: signals[k] for k in sorted(signals)[: audit.MAX_SIDE_KEYS]}
