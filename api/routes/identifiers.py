from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from identity_graph.api.deps import ServiceDep
from identity_graph.api.routes.persons import NOT_FOUND, person_json
from identity_graph.api.schemas import ErrorOut, IdentifierType, IdentifierValue
from identity_graph.views import Person

router = APIRouter(prefix="/v1/identifiers", tags=["persons"])


# `{value:path}`: a value may hold slashes (a customer_id "ab/12", sent as ab/12 or ab%2F12);
# the fixed `/person` suffix still ends the path.
@router.get(
    "/{type}/{value:path}/person",
    response_model=Person,
    responses={**NOT_FOUND, 422: {"model": ErrorOut}},
)
async def get_person_by_identifier(
    type: IdentifierType, value: IdentifierValue, service: ServiceDep
) -> Response:
    """The person an identifier belongs to; the value is normalized as on ingest."""
    return person_json(await service.lookup_identifier(type, value))
