from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from identity_graph.api.auth import CallerDep
from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import DecisionIn, DecisionOut, ErrorOut, ReviewItem, ReviewPage
from identity_graph.service.views import DecisionResult

router = APIRouter(prefix="/v1/review", tags=["review"])


@router.get("", response_model=ReviewPage)
def list_reviews(
    service: ServiceDep,
    status: Literal["pending", "approved", "rejected", "all"] = "pending",
    min_probability: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    max_probability: Annotated[float, Query(ge=0.0, le=1.0)] = 1.0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReviewPage:
    """Pairs of records waiting for a steward (or decided), highest probability first."""
    return service.review_page(status, limit, offset, min_probability, max_probability)


@router.get("/{pair_id}", response_model=ReviewItem, responses={404: {"model": ErrorOut}})
def get_review(pair_id: str, service: ServiceDep) -> ReviewItem:
    """One pair side by side: field values, agreement levels, contributions."""
    return service.review_item(pair_id)


@router.post(
    "/{pair_id}/decision",
    response_model=DecisionOut,
    responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
)
def decide(
    pair_id: str, body: DecisionIn, service: ServiceDep, caller: CallerDep
) -> DecisionResult:
    """Approve (link and cluster the two records) or reject (remember as cannot-link). The
    audit trail records the API key's name as the steward deciding."""
    return service.decide_review(pair_id, body.decision, caller.name, body.comment)
