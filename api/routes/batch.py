from __future__ import annotations

from fastapi import APIRouter

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import BatchIn, BatchOut, ErrorOut

router = APIRouter(prefix="/v1", tags=["ingest"])


@router.post(
    "/batch",
    response_model=BatchOut,
    responses={400: {"model": ErrorOut, "description": "bad items; nothing was written"}},
    summary="Ingest a batch of Segment-spec events in one transaction",
)
def post_batch(body: BatchIn, service: ServiceDep) -> BatchOut:
    events = [e.model_dump(exclude_unset=True) for e in body.batch]
    summary = service.ingest_events(events)
    return BatchOut(
        items=summary.items,
        replayed=summary.replayed,
        identifiers_new=summary.identifiers_new,
        persons_created=summary.persons_created,
        merges=summary.merges,
        merges_refused=summary.merges_refused,
        hubs_flagged=summary.hubs_flagged,
        placeholders_dropped=summary.placeholders_dropped,
    )
