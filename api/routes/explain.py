from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import MAX_IDENTIFIER, ErrorOut
from identity_graph.graph.explain import Explanation

router = APIRouter(prefix="/v1/explain", tags=["explain"])


@router.get(
    "",
    response_model=Explanation,
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
def explain(
    service: ServiceDep,
    a: Annotated[
        str,
        Query(
            max_length=MAX_IDENTIFIER,
            description="identifier as type:value, e.g. email:anna@example.com",
        ),
    ],
    b: Annotated[str, Query(max_length=MAX_IDENTIFIER, description="identifier as type:value")],
) -> Explanation:
    """Why two identifiers are (or are not) one person: the path of links with their
    evidence, and for probabilistic links the per-field contributions (a waterfall)."""
    return service.explain(a, b)
