from __future__ import annotations

from fastapi import APIRouter

from identity_graph.api import observability
from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import BatchIn, BatchOut, ErrorOut
from identity_graph.service.views import BatchResult

router = APIRouter(prefix="/v1/batch", tags=["ingest"])


@router.post(
    "",
    response_model=BatchOut,
    responses={400: {"model": ErrorOut, "description": "bad items; nothing was written"}},
    summary="Ingest a batch of Segment-spec events in one transaction",
)
def post_batch(body: BatchIn, service: ServiceDep) -> BatchResult:
    result = service.ingest_batch([e.model_dump(exclude_unset=True) for e in body.batch])
    observability.record_ingest(result.items)
    return result
