from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import (
    AuditEntry,
    DecisionIn,
    DecisionOut,
    ErrorOut,
    ReviewItem,
    ReviewPage,
)
from identity_graph.graph.explain import waterfall
from identity_graph.matching.runner import pair_id
from identity_graph.stores.rows import ReviewRow

router = APIRouter(prefix="/v1", tags=["review"])


def _item(row: ReviewRow) -> ReviewItem:
    evidence = json.loads(row.evidence)
    return ReviewItem(
        pair_id=pair_id(row.a, row.b),
        a=row.a,
        b=row.b,
        probability=row.probability,
        status=row.status,  # type: ignore[arg-type]
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


@router.get("/review", response_model=ReviewPage)
def list_reviews(
    service: ServiceDep,
    status: Literal["pending", "approved", "rejected", "all"] = "pending",
    min_probability: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    max_probability: Annotated[float, Query(ge=0.0, le=1.0)] = 1.0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReviewPage:
    """Pairs of records waiting for a steward (or decided), highest probability first."""
    wanted = None if status == "all" else status
    total, rows = service.reviews(wanted, limit, offset, min_probability, max_probability)
    more = len(rows) == limit
    return ReviewPage(
        total=total, items=[_item(r) for r in rows], next_offset=offset + limit if more else None
    )


@router.get("/review/{pair_id}", response_model=ReviewItem, responses={404: {"model": ErrorOut}})
def get_review(pair_id: str, service: ServiceDep) -> ReviewItem:
    """One pair side by side: field values, agreement levels, contributions."""
    return _item(service.review(pair_id))


@router.post(
    "/review/{pair_id}/decision",
    response_model=DecisionOut,
    responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
)
def decide(pair_id: str, body: DecisionIn, service: ServiceDep) -> DecisionOut:
    """Approve (link and cluster the two records) or reject (remember as cannot-link)."""
    row, summary = service.decide(pair_id, body.decision, body.by, body.comment)
    return DecisionOut(
        item=_item(row), merges=summary.merges, merges_refused=summary.merges_refused
    )


@router.get("/audit", response_model=list[AuditEntry], tags=["review"])
def audit(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    subject: str | None = None,
) -> list[AuditEntry]:
    """Steward decisions, newest first: who, when, what."""
    return [
        AuditEntry(
            at=r.at, actor=r.actor, action=r.action, subject=r.subject, detail=json.loads(r.detail)
        )
        for r in service.audit(limit, subject)
    ]
