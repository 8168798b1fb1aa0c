"""Segment's HTTP tracking API: `POST /v1/batch` and the single-event routes
(`/v1/identify`, `/v1/track`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`).

A single event is a batch of one: the same transaction, validation, replay-safe
`messageId` and 400 body. Its route sets its `type`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import BatchIn, BatchOut, ErrorOut, SegmentEvent
from identity_graph.errors import BatchRejected, ItemError
from identity_graph.service.views import BatchResult

# In the order of Segment's HTTP API reference.
SINGLE_EVENT_TYPES = ("identify", "track", "page", "screen", "group", "alias")

router = APIRouter(tags=["ingest"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "bad items; nothing was written"},
    413: {"model": ErrorOut, "description": "body or batch over the limit; nothing was written"},
}


@router.post(
    "/v1/batch",
    response_model=BatchOut,
    responses=_ERRORS,
    summary="Ingest a batch of Segment-spec events in one transaction",
)
def post_batch(body: BatchIn, service: ServiceDep) -> BatchResult:
    return service.ingest_batch([e.model_dump(exclude_unset=True) for e in body.batch])


def typed_event(type_: str, body: SegmentEvent) -> dict[str, Any]:
    """The event of a single-event route, its type set by the route. A body `type` other
    than the route's would make the route a lie: a 400 naming `type`, like a bad item."""
    event = body.model_dump(exclude_unset=True)
    given = event.get("type")
    if given is not None and given != type_:
        reason = f"must be {type_!r} (or left out) on /v1/{type_}"
        raise BatchRejected([ItemError(0, "type", reason)])
    event["type"] = type_
    return event


def _single_event_route(type_: str) -> Callable[[SegmentEvent, ServiceDep], BatchResult]:
    def post_event(body: SegmentEvent, service: ServiceDep) -> BatchResult:
        return service.ingest_batch([typed_event(type_, body)])

    post_event.__doc__ = f"One `{type_}` event, ingested as a batch of one."
    return post_event


for _type in SINGLE_EVENT_TYPES:
    router.add_api_route(
        f"/v1/{_type}",
        _single_event_route(_type),
        methods=["POST"],
        name=f"post_{_type}",
        response_model=BatchOut,
        responses=_ERRORS,
        summary=f"Ingest one Segment `{_type}` event",
    )
