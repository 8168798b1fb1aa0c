from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import ErrorOut, IdPath
from identity_graph.views import Person

router = APIRouter(prefix="/v1/persons", tags=["persons"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}


def person_json(person: Person) -> Response:
    # The service built a validated Person already: serialize once, skip FastAPI's second
    # validation pass (a third of the time of a lookup).
    return Response(person.model_dump_json(), media_type="application/json")


@router.get("/{person_id}", response_model=Person, responses=NOT_FOUND)
def get_person(person_id: IdPath, service: ServiceDep) -> Response:
    """A person by ID. An ID merged into another person resolves to it (`redirected_from`)."""
    return person_json(service.person(person_id))
