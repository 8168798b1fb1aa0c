from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import MAX_PAIR, AuditEntry

router = APIRouter(prefix="/v1/audit", tags=["review"])


@router.get("", response_model=list[AuditEntry])
def audit(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    subject: Annotated[str | None, Query(max_length=MAX_PAIR)] = None,
) -> list[AuditEntry]:
    """Steward decisions, newest first: who, when, what."""
    return service.audit(limit, subject)
