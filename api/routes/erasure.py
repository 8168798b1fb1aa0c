"""`DELETE /v1/persons/{person_id}`: erasure (GDPR Art. 17), the steward's call.

The route only translates: the use case is `service.erasure` (`service/erasure.py`), the
decisions `lifecycle/erase.py`. The audit actor is the caller's key name, never a field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from identity_graph.api.auth import CallerDep
from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import ErrorOut, IdPath
from identity_graph.ingest.limits import MAX_TEXT
from identity_graph.service.erasure import ErasureReport

router = APIRouter(prefix="/v1/persons", tags=["persons"])
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}
ReasonQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_TEXT,
        description="why (the request's reference, not the person's data): in the audit trail",
    ),
]


@router.delete("/{person_id}", response_model=ErasureReport, responses=ERRORS)
def erase_person(
    person_id: IdPath, reason: ReasonQuery, service: ServiceDep, caller: CallerDep
) -> ErasureReport:
    """Erase a person (an old merged ID resolves to its current person first): their
    identifiers, links, records, activity, consent, review pairs and unsent export rows
    go; only a salted hash of each identifier stays, so that later events carrying one are
    dropped. 404 for an ID the store does not hold (erased ones included)."""
    return service.erasure.erase_person(person_id, by=caller.name, reason=reason)
