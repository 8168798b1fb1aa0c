"""The steward's decisions on the review queue: approve (must-link) and reject (cannot-link).

A decision is evidence like any other: it goes through `graph.commit`, so merge rules and
hub checks hold for it, and it is in the audit trail with who decided, when and why. Its
audit subject is the pair as a steward reads it (`a <-> b`); rows written before that
(subject: the opaque pair ID) keep theirs.
"""

from __future__ import annotations

import json

from identity_graph import audit
from identity_graph.config import Settings
from identity_graph.errors import ConflictError, IdentityGraphError, NotFoundError
from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
from identity_graph.graph.links import LinkEvidence
from identity_graph.ids import IdentifierKey, Pair, ordered_pair, pair_id
from identity_graph.ingest.observations import utc_now
from identity_graph.stores.contract import GraphStore, StoreReader
from identity_graph.stores.rows import AuditRow, ChangeSet, ReviewRow

__all__ = ["decide_review", "pair_id", "parse_pair_id"]


def parse_pair_id(value: str) -> Pair:
    pair = audit.decode_pair(value)
    if pair is None:
        raise NotFoundError("no review pair with that ID")
    return ordered_pair(IdentifierKey(pair[0]), IdentifierKey(pair[1]))


def decide_review(
    store: GraphStore,
    settings: Settings,
    pid: str,
    decision: str,
    by: str,
    comment: str | None = None,
) -> tuple[ReviewRow, BatchSummary]:
    """Decide one pending pair in one write transaction: approve links the two records
    (a must-link, exempt from per-type limits) and clusters them; reject writes a
    cannot-link that keeps their persons apart in every later merge. Audited."""
    if decision not in ("approve", "reject"):
        raise IdentityGraphError(f"decision must be approve or reject, got {decision!r}")
    a, b = parse_pair_id(pid)
    summary = BatchSummary()
    with store.unit_of_work() as tx:
        row = tx.review_pairs([(a, b)]).get((a, b))
        if row is None:
            raise NotFoundError(f"no review pair with ID {pid!r}")
        if row.status != "pending":
            raise ConflictError(
                f"pair already {row.status} by {row.decided_by} at {row.decided_at}"
            )
        at = utc_now()
        detail = {
            "decision": decision,
            "by": by,
            "comment": comment,
            "probability": row.probability,
        }
        changes = Evidence(at=at)
        if decision == "approve":
            changes.links.append(
                LinkEvidence(a, b, 1.0, "steward", "steward", 1, at, at, json.dumps(detail))
            )
        else:
            states = tx.identifiers([a, b])
            if a in states and b in states and states[a].person_id == states[b].person_id:
                raise ConflictError(
                    "the two records are already one person through other links; "
                    "split the person before rejecting this pair"
                )
            changes.links.append(
                LinkEvidence(
                    a,
                    b,
                    0.0,
                    "steward",
                    "steward",
                    1,
                    at,
                    at,
                    json.dumps(detail),
                    status="cannot_link",
                )
            )
        decided = ReviewRow(
            a,
            b,
            row.probability,
            row.evidence,
            row.fingerprint,
            "approved" if decision == "approve" else "rejected",
            row.created_at,
            at,
            by,
            comment,
        )
        changes.reviews.append(decided)
        before = _persons_of(tx, a, b)
        commit_changes(
            tx,
            settings,
            changes,
            summary,
            authoritative=frozenset({(a, b)}) if decision == "approve" else frozenset(),
        )
        after = _persons_of(tx, a, b)
        body = audit.detail(
            reason=comment,
            persons=[*before, *after],
            identifiers=[a, b],
            before=audit.side(before),
            after=audit.side(after),
            **detail,
        )
        entry = AuditRow(at, by, f"review.{decision}", audit.pair_subject(a, b), body)
        tx.apply(ChangeSet(at=at, audit=[entry]))
    return decided, summary


def _persons_of(r: StoreReader, a: IdentifierKey, b: IdentifierKey) -> dict[str, list[str]]:
    """The persons of the pair's two records, with their identifiers (keys only)."""
    states = r.identifiers([a, b])
    pids = sorted({s.person_id for s in states.values()})
    members = r.members(pids)
    return {pid: [i.key for i in members.get(pid, [])] for pid in pids}
