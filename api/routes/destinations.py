from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import (
    MAX_EXCLUDE,
    MAX_ID,
    MAX_PLATFORM,
    MAX_SEGMENT,
    DestinationName,
    ErrorOut,
    Generation,
    LeaseQuery,
    SegmentText,
)
from identity_graph.exports.files import csv_chunks
from identity_graph.service.audiences import DeltaStaged, DestinationInfo

router = APIRouter(prefix="/v1/destinations", tags=["destinations"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


class DestinationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(
        max_length=MAX_PLATFORM, description="google, meta, tiktok, linkedin, snap or x"
    )
    segment: str = Field(
        max_length=MAX_SEGMENT, description="the segment (or ready-made list) it receives"
    )


@router.get("", response_model=list[DestinationInfo])
def list_destinations(service: ServiceDep) -> list[DestinationInfo]:
    return service.audiences.destinations()


@router.put("/{name}", response_model=DestinationInfo, status_code=201, responses=ERRORS)
def create_destination(
    name: DestinationName, body: DestinationIn, service: ServiceDep
) -> DestinationInfo:
    """Register a destination: one audience on one platform, with a ledger of what this
    service sent to it (for exact delta exports)."""
    return service.audiences.create_destination(name, body.platform, body.segment)


@router.get("/{name}", response_model=DestinationInfo, responses=ERRORS)
def get_destination(name: DestinationName, service: ServiceDep) -> DestinationInfo:
    return service.audiences.destination(name)


@router.delete("/{name}", status_code=204, responses=ERRORS)
def delete_destination(name: DestinationName, service: ServiceDep) -> Response:
    service.audiences.delete_destination(name)
    return Response(status_code=204)


class DeltaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exclude: list[SegmentText] = Field(
        default_factory=list, max_length=MAX_EXCLUDE, description="segments to leave out"
    )


class LeaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lease: str = Field(max_length=MAX_ID)


@router.post("/{name}/deltas", response_model=DeltaStaged, status_code=201, responses=ERRORS)
def stage_delta(
    name: DestinationName, service: ServiceDep, body: DeltaIn | None = None
) -> DeltaStaged:
    """Stage what changed since the destination's last recorded export. Fetch
    `.../deltas/{generation}/remove` and `.../add`, upload them, then commit: only a
    committed delta counts as sent (the next delta is computed from it)."""
    return service.audiences.stage_delta(name, body.exclude if body else [])


@router.get(
    "/{name}/deltas/{generation}/{side}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
def delta_rows(
    name: DestinationName,
    generation: Generation,
    side: Literal["add", "remove"],
    lease: LeaseQuery,
    service: ServiceDep,
) -> StreamingResponse:
    """One side of a staged delta, in the platform's upload format (CSV)."""
    platform, rows = service.audiences.delta_rows(name, generation, side, lease)
    return StreamingResponse(csv_chunks(platform.columns, rows), media_type="text/csv")


@router.post("/{name}/deltas/{generation}/commit", response_model=DestinationInfo, responses=ERRORS)
def commit_delta(
    name: DestinationName, generation: Generation, body: LeaseIn, service: ServiceDep
) -> DestinationInfo:
    """Record a staged delta as uploaded."""
    return service.audiences.commit_delta(name, generation, body.lease)


@router.delete("/{name}/deltas/{generation}", status_code=204, responses=ERRORS)
def abort_delta(
    name: DestinationName,
    generation: Generation,
    lease: LeaseQuery,
    service: ServiceDep,
) -> Response:
    """Drop a staged delta without recording it."""
    service.audiences.abort_delta(name, generation, lease)
    return Response(status_code=204)
