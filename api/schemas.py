"""Request and response bodies. Input fields are loose on purpose: the core validates every
event and reports all bad items in one response, in one format."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SegmentEvent(BaseModel):
    """A Segment-spec event (identify, track, page, screen, alias, group)."""

    model_config = ConfigDict(extra="allow")

    type: Any = Field(None, description="identify | track | page | screen | alias | group")
    messageId: Any = Field(None, description="unique per event; a replay changes nothing")
    timestamp: Any = Field(None, description="ISO-8601")
    userId: Any = Field(None, description="-> customer_id")
    anonymousId: Any = Field(None, description="-> cookie")
    previousId: Any = Field(None, description="alias only -> cookie")
    event: Any = Field(None, description="track only: the event name")
    traits: Any = Field(None, description="traits.email -> email, traits.phone -> phone")
    properties: Any = None
    context: Any = Field(
        None,
        description="context.device.id / advertisingId -> device_id; "
        "context.externalIds[] -> their declared type",
    )


class BatchIn(BaseModel):
    """Body of Segment's HTTP batch API."""

    model_config = ConfigDict(extra="allow")

    batch: list[SegmentEvent] = Field(max_length=10_000)


class BatchOut(BaseModel):
    success: bool = True
    items: int
    replayed: int
    identifiers_new: int
    persons_created: int
    merges: int
    merges_refused: int
    hubs_flagged: int
    placeholders_dropped: int


class ItemProblem(BaseModel):
    position: int | None = Field(description="index of the item in the batch")
    field: str
    reason: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[ItemProblem] = Field(default_factory=list)
