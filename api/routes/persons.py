from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import ErrorOut
from identity_graph.views import Person, StoreStats

router = APIRouter(prefix="/v1", tags=["persons"])
_NOT_FOUND = {404: {"model": ErrorOut}}


def _json(person: Person) -> Response:
    # The service built a validated Person already: serialize once, skip FastAPI's second
    # validation pass (a third of the time of a lookup).
    return Response(person.model_dump_json(), media_type="application/json")


@router.get("/persons/{person_id}", response_model=Person, responses=_NOT_FOUND)
def get_person(person_id: str, service: ServiceDep) -> Response:
    """A person by ID. An ID merged into another person resolves to it (`redirected_from`)."""
    return _json(service.person(person_id))


@router.get(
    "/identifiers/{type}/{value}/person",
    response_model=Person,
    responses={**_NOT_FOUND, 422: {"model": ErrorOut}},
)
def get_person_by_identifier(type: str, value: str, service: ServiceDep) -> Response:
    """The person an identifier belongs to; the value is normalized as on ingest."""
    return _json(service.person_by_identifier(type, value))


@router.get("/stats", response_model=StoreStats, tags=["health"])
def get_stats(service: ServiceDep) -> StoreStats:
    return service.stats()
