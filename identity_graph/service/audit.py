"""The audit trail's use case: which rows a steward asks for, in the store's terms.

"By person" means the rows that name the person ID (merges, splits, erasure of it) and,
for convenience, the rows that name one of the identifiers it holds now (a review decision
on its email, an identifier removed from it). "By identifier" takes `type:value` as a user
writes it, normalized like any other lookup, and finds rows even after the identifier was
removed (the trail keeps its key until an erasure redacts it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from identity_graph.audit import AuditFilter
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.ingest.observations import format_ts
from identity_graph.profiles.lineage import current_ids
from identity_graph.service.views import AuditEntry, audit_entry
from identity_graph.stores.contract import GraphStore


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What a caller asks for; every field set is AND-ed (see the module's doc)."""

    limit: int = 100
    subject: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    person: str | None = None
    identifier: IdentifierKey | None = None


def audit_rows(store: GraphStore, q: AuditQuery) -> list[AuditEntry]:
    """The rows, newest first, from one read snapshot."""
    with store.reader() as r:
        members_of: PersonId | None = None
        if q.person is not None:
            # An erased or unknown ID has no identifiers now: only rows naming it match.
            found = current_ids(r, [PersonId(q.person)])
            members_of = found[0] if found else None
        where = AuditFilter(
            subject=q.subject,
            action=q.action,
            since=format_ts(q.since) if q.since is not None else None,
            until=format_ts(q.until) if q.until is not None else None,
            person=PersonId(q.person) if q.person is not None else None,
            members_of=members_of,
            identifier=q.identifier,
        )
        return [audit_entry(row) for row in r.audit(q.limit, where=where)]
