"""Request bodies (inputs) and response bodies (outputs) of the API.

Input fields are loose on purpose: the core validates every event and reports all bad items
in one response, in one format. Outputs are the view models the service builds (persons and
stats in `identity_graph.views`, the rest in `identity_graph.service.views`), here under the
names the OpenAPI document has always given them, plus the error bodies.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from identity_graph.service.views import (
    AuditEntry,
    BatchResult,
    DecisionResult,
    ReviewItem,
    ReviewPage,
)

__all__ = [
    "AuditEntry",
    "BatchIn",
    "BatchOut",
    "DecisionIn",
    "DecisionOut",
    "ErrorOut",
    "ItemProblem",
    "ReviewItem",
    "ReviewPage",
    "SegmentEvent",
]

# -- inputs ------------------------------------------------------------------------------


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


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: str | None = Field(None, max_length=2000)


# -- outputs -----------------------------------------------------------------------------


# The service's results under the names the OpenAPI document has always given them (a
# docstring here would add a description to the published schema).
class BatchOut(BatchResult):
    pass


class DecisionOut(DecisionResult):
    pass


class ItemProblem(BaseModel):
    position: int | None = Field(description="index of the item in the batch")
    field: str
    reason: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[ItemProblem] = Field(default_factory=list)
