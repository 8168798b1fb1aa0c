from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import MAX_ID, MAX_IDENTIFIER, MAX_PAIR, AuditEntry

router = APIRouter(prefix="/v1/audit", tags=["review"])


@router.get("", response_model=list[AuditEntry])
def audit(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    subject: Annotated[str | None, Query(max_length=MAX_PAIR)] = None,
    person: Annotated[
        str | None,
        Query(
            max_length=MAX_ID,
            description="rows naming this person ID (any ID it was ever given), and rows "
            "naming one of the identifiers it holds now",
        ),
    ] = None,
    identifier: Annotated[
        str | None,
        Query(
            max_length=MAX_IDENTIFIER,
            description="type:value: rows naming this identifier (also once removed)",
        ),
    ] = None,
    since: Annotated[datetime | None, Query(description="rows at or after (ISO-8601)")] = None,
    until: Annotated[datetime | None, Query(description="rows before (ISO-8601)")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. review.approve, person.merge")
    ] = None,
) -> list[AuditEntry]:
    """The audit trail, newest first: who, when, what, before/after (identifier keys and
    person IDs only). Every filter given is AND-ed."""
    return service.audit(
        limit,
        subject,
        person=person,
        identifier=identifier,
        since=since,
        until=until,
        action=action,
    )
