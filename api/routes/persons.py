from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import ErrorOut, GoneOut, IdPath
from identity_graph.views import Person

router = APIRouter(prefix="/v1/persons", tags=["persons"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}
# Any person ID once given out: 404 only for an unknown (or erased) one.
DURABLE: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    410: {"model": GoneOut, "description": "deleted: all of its evidence was removed"},
}


def person_json(person: Person) -> Response:
    # The service built a validated Person already: serialize once, skip FastAPI's second
    # validation pass (a third of the time of a lookup).
    return Response(person.model_dump_json(), media_type="application/json")


@router.get("/{person_id}", response_model=Person, responses=DURABLE)
async def get_person(person_id: IdPath, service: ServiceDep) -> Response:
    """A person by any ID it was ever given. An ID merged into another person resolves to
    it (`redirected_from`, and `lineage`: the MERGED_INTO steps); a person that fell apart
    keeps its ID on its largest piece and lists the others in `split_into` (each of them
    names it in `split_from`). A person deleted by removing all of its evidence is 410 with
    its lineage; an unknown or erased one is 404."""
    return person_json(await service.lookup_person(person_id))
