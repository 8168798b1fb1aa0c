"""POST /v1/persons/{person_id}/consent: a steward withdraws a person's consent."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from identity_graph.api.auth import CallerDep
from identity_graph.api.deps import ServiceDep
from identity_graph.api.routes.persons import DURABLE
from identity_graph.api.schemas import MAX_ID, ErrorOut, IdPath
from identity_graph.ingest.limits import MAX_TEXT
from identity_graph.service.consent import ConsentWithdrawn

router = APIRouter(prefix="/v1/persons", tags=["persons"])
ERRORS: dict[int | str, dict[str, Any]] = {**DURABLE, 422: {"model": ErrorOut}}


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1, max_length=MAX_ID, description="e.g. ad_personalization")
    granted: Literal[False] = Field(
        description="false: a withdrawal (consent is given by the person's own events)"
    )
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="why, for the audit trail")


@router.post("/{person_id}/consent", response_model=ConsentWithdrawn, responses=ERRORS)
def withdraw_consent(
    person_id: IdPath, body: ConsentIn, service: ServiceDep, caller: CallerDep
) -> ConsentWithdrawn:
    """Withdraw a person's consent for a purpose: a denial for each of their identifiers,
    from source `steward`, audited (`consent.withdraw`, the API key's name as the actor).
    The person leaves ad exports: the next delta of each destination removes their rows."""
    return service.withdraw_consent(person_id, body.purpose, caller.name, body.reason)
