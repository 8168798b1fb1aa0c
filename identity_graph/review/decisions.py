"""The steward's decisions on the review queue: approve (must-link) and reject (cannot-link).

A decision is evidence like any other: it goes through `graph.commit`, so merge rules and
hub checks hold for it, and it is in the audit trail with who decided, when and why.
"""

from __future__ import annotations

import base64
import json

from identity_graph.config import Settings
from identity_graph.errors import ConflictError, IdentityGraphError, NotFoundError
from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
from identity_graph.graph.links import LinkEvidence
from identity_graph.ids import IdentifierKey, Pair, ordered_pair, pair_id
from identity_graph.ingest.observations import utc_now
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import AuditRow, ReviewRow

__all__ = ["decide_review", "pair_id", "parse_pair_id"]


def parse_pair_id(value: str) -> Pair:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        a, b = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise NotFoundError("no review pair with that ID") from exc
    if not (isinstance(a, str) and isinstance(b, str)):
        raise NotFoundError("no review pair with that ID")
    return ordered_pair(IdentifierKey(a), IdentifierKey(b))


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
        changes.audit.append(
            AuditRow(at, by, f"review.{decision}", pair_id(a, b), json.dumps(detail))
        )
        commit_changes(
            tx,
            settings,
            changes,
            summary,
            authoritative=frozenset({(a, b)}) if decision == "approve" else frozenset(),
        )
    return decided, summary
