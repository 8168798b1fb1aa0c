"""View models the service builds for its callers (the API returns them as they are).

They join `identity_graph.views` (persons, stats): the stored rows are turned into them
here, JSON evidence parsed once, so no caller parses or reshapes store rows.
"""

from __future__ import annotations

import json
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field

from identity_graph.audit import mentions
from identity_graph.graph.explain import WaterfallStep, waterfall
from identity_graph.ingest.batches import BatchSummary
from identity_graph.review.decisions import pair_id
from identity_graph.stores.rows import AuditRow, ReviewRow

ReviewStatus = Literal["pending", "approved", "rejected"]
_STATUSES: tuple[str, ...] = get_args(ReviewStatus)


class BatchResult(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    success: bool = True
    batch_id: str = Field(description="the ingest batch its evidence is remembered under")
    items: int
    replayed: int
    identifiers_new: int
    persons_created: int
    merges: int
    merges_refused: int
    hubs_flagged: int
    placeholders_dropped: int
    erased_dropped: int = Field(
        0, description="items dropped because they carry an erased identifier"
    )


class ReviewItem(BaseModel):
    pair_id: str = Field(description="opaque ID of the pair, for the decision route")
    a: str = Field(description="identifier key of one record")
    b: str
    probability: float
    status: ReviewStatus
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None
    levels: dict[str, str] = Field(default_factory=dict, description="agreement level per field")
    contributions: dict[str, float] = Field(
        default_factory=dict, description="log2 Bayes factor per field"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="the two records' field values, side by side"
    )
    waterfall: list[WaterfallStep] = Field(default_factory=list)
    model_version: str | None = None


class ReviewPage(BaseModel):
    total: int = Field(description="pairs with this status in all")
    items: list[ReviewItem]
    next_offset: int | None = Field(description="offset of the next page, if any")


class DecisionResult(BaseModel):
    item: ReviewItem
    merges: int
    merges_refused: int


class AuditEntry(BaseModel):
    at: str
    actor: str = Field(description="who: the API key's name, or the CLI's --by")
    action: str = Field(description="e.g. review.approve, person.merge, consent.withdraw")
    subject: str = Field(
        description="what, readable: `a <-> b` (a pair of identifier keys), `person:ID`, an "
        "identifier key, `source:NAME`, `batch:ID`, `api_key:NAME`; review decisions "
        "recorded before subjects were readable keep their opaque pair ID"
    )
    persons: list[str] = Field(
        default_factory=list, description="every person ID involved, before and after"
    )
    identifiers: list[str] = Field(default_factory=list, description="the identifier keys involved")
    detail: dict[str, Any] = Field(
        description="reason, persons, identifiers, before/after (identifier keys and person "
        "IDs only), and what the action adds"
    )


def batch_result(summary: BatchSummary) -> BatchResult:
    return BatchResult.model_validate(summary, from_attributes=True)


def review_item(row: ReviewRow) -> ReviewItem:
    evidence = json.loads(row.evidence)
    return ReviewItem(
        pair_id=pair_id(row.a, row.b),
        a=row.a,
        b=row.b,
        probability=row.probability,
        status=_status(row.status),
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        comment=row.comment,
        levels=evidence.get("levels", {}),
        contributions=evidence.get("contributions", {}),
        values=evidence.get("values", {}),
        waterfall=waterfall(evidence),
        model_version=evidence.get("model_version"),
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    persons, identifiers = mentions(row.detail)
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        persons=list[str](persons),
        identifiers=list[str](identifiers),
        detail=json.loads(row.detail),
    )


def _status(value: str) -> ReviewStatus:
    if value in _STATUSES:
        return cast(ReviewStatus, value)
    # Only a store written by something else holds another status: a bug, not bad input.
    raise ValueError(f"review status must be one of {_STATUSES}, got {value!r}")
