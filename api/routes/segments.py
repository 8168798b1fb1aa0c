from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import StreamingResponse

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import (
    MAX_EXCLUDE,
    ErrorOut,
    PlatformQuery,
    SegmentName,
    SegmentText,
)
from identity_graph.exports.files import csv_chunks
from identity_graph.service.audiences import MembersPage, SegmentCount, SegmentInfo, SegmentWhy

router = APIRouter(prefix="/v1/segments", tags=["segments"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    422: {"model": ErrorOut},
}
AsOf = Annotated[
    datetime | None,
    Query(description="evaluate time windows (within_days) at this time instead of now"),
]
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
EXAMPLE = {
    "and": [
        {"viewed": {"product": "MATTRESS", "within_days": 30}},
        {"not": {"bought": {"product": "MATTRESS"}}},
        {"not": {"open_case": {}}},
        {"not": {"exposed": {"campaign": "WINTER", "at_least": 2}}},
        {"consent": {"purpose": "ad_personalization"}},
    ]
}


@router.get("", response_model=list[SegmentInfo])
def list_segments(service: ServiceDep) -> list[SegmentInfo]:
    """Stored segments, by name. The ready-made lists `existing_customers`,
    `open_complaint`, `bought:PRODUCT` and `exposed:CAMPAIGN:N` are always available too."""
    return service.audiences.list_segments()


@router.put(
    "/{name}",
    response_model=SegmentInfo,
    responses={201: {"model": SegmentInfo, "description": "created"}, **ERRORS},
)
def put_segment(
    name: SegmentName,
    service: ServiceDep,
    response: Response,
    definition: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
) -> SegmentInfo:
    """Create (201) or replace (200) a segment from its JSON expression."""
    info, created = service.audiences.save(name, definition)
    response.status_code = 201 if created else 200
    return info


@router.get("/{name}", response_model=SegmentInfo, responses=ERRORS)
def get_segment(name: SegmentName, service: ServiceDep) -> SegmentInfo:
    return service.audiences.show(name)


@router.delete("/{name}", status_code=204, responses=ERRORS)
def delete_segment(name: SegmentName, service: ServiceDep) -> Response:
    service.audiences.delete(name)
    return Response(status_code=204)


@router.get("/{name}/count", response_model=SegmentCount, responses=ERRORS)
def count_segment(name: SegmentName, service: ServiceDep, as_of: AsOf = None) -> SegmentCount:
    """How many persons are in the segment (or ready-made list) now."""
    return service.audiences.count(name, as_of)


@router.get("/{name}/members", response_model=MembersPage, responses=ERRORS)
def segment_members(
    name: SegmentName,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    cursor: Annotated[
        str | None, Query(max_length=256, description="`next_cursor` of the previous page")
    ] = None,
    as_of: AsOf = None,
) -> MembersPage:
    """Members in person ID order, a page at a time; cursors stay valid under ingest."""
    return service.audiences.members(name, limit=limit, cursor=cursor, as_of=as_of)


@router.get("/{name}/why/{person_id}", response_model=SegmentWhy, responses=ERRORS)
def why(name: SegmentName, person_id: str, service: ServiceDep, as_of: AsOf = None) -> SegmentWhy:
    """Is the person in the segment, and which criteria held through which identifiers and
    activity."""
    return service.audiences.why(name, person_id, as_of)


@router.get(
    "/{name}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
def export_segment(
    name: SegmentName,
    service: ServiceDep,
    platform: PlatformQuery,
    exclude: Annotated[
        list[SegmentText] | None,
        Query(max_length=MAX_EXCLUDE, description="segments to leave out"),
    ] = None,
) -> StreamingResponse:
    """The segment's consenting persons in the platform's upload format (CSV, hashed its
    way), streamed. `X-Audience-Persons` says how many persons; `X-Audience-Warning` is
    set when that is below the platform's minimum audience."""
    platform_, persons, rows = service.audiences.export_rows(name, platform, exclude or [])
    headers = {
        "X-Audience-Persons": str(persons),
        "X-Upload-Batch-Size": str(platform_.batch_size),
        # Ready-made list names carry product and campaign IDs: keep the header plain.
        "Content-Disposition": f'attachment; filename="{_UNSAFE.sub("_", name)}-{platform_.name}'
        '.csv"',
    }
    if persons < platform_.min_audience:
        headers["X-Audience-Warning"] = (
            f"{persons} persons, below the {platform_.name} minimum of {platform_.min_audience}"
        )
    return StreamingResponse(
        csv_chunks(platform_.columns, rows), media_type="text/csv", headers=headers
    )
