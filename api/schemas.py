"""Request and response bodies. Input fields are loose on purpose: the core validates every
event and reports all bad items in one response, in one format."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from identity_graph.graph.explain import WaterfallStep


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


class ReviewItem(BaseModel):
    pair_id: str = Field(description="opaque ID of the pair, for the decision route")
    a: str = Field(description="identifier key of one record")
    b: str
    probability: float
    status: Literal["pending", "approved", "rejected"]
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None
    levels: dict[str, str] = Field(default_factory=dict, description="agreement level per field")
    contributions: dict[str, float] = Field(
        default_factory=dict, description="log2 Bayes factor per field"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="the two records' field values, side by side"
    )
    waterfall: list[WaterfallStep] = Field(default_factory=list)
    model_version: str | None = None


class ReviewPage(BaseModel):
    total: int = Field(description="pairs with this status in all")
    items: list[ReviewItem]
    next_offset: int | None = Field(description="offset of the next page, if any")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    by: str = Field(min_length=1, max_length=200, description="the steward deciding")
    comment: str | None = Field(None, max_length=2000)


class DecisionOut(BaseModel):
    item: ReviewItem
    merges: int
    merges_refused: int


class AuditEntry(BaseModel):
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
