"""Request bodies (inputs) and response bodies (outputs) of the API.

Input fields are loose on purpose: the core validates every event and reports all bad items
in one response, in one format. Outputs are the view models the service builds (persons and
stats in `identity_graph.views`, the rest in `identity_graph.service.views`), here under the
names the OpenAPI document has always given them, plus the error bodies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from identity_graph.service.views import (
    AuditEntry,
    BatchResult,
    DecisionResult,
    ReviewItem,
    ReviewPage,
)
from identity_graph.views import LineageStep

__all__ = [
    "MAX_BATCH_ITEMS",
    "AuditEntry",
    "BatchIn",
    "BatchOut",
    "DecisionIn",
    "DecisionOut",
    "ErrorOut",
    "GoneOut",
    "ItemProblem",
    "ReviewItem",
    "ReviewPage",
    "SegmentEvent",
]

# -- limits of path and query values (README.md "Batches and errors") --------------------

# A segment's name, or a ready-made list's (`exposed:CAMPAIGN:N` holds a 256-character ID).
MAX_SEGMENT = 300
# Person IDs, leases, cursors.
MAX_ID = 256
# An identifier as type:value (a value holds at most 1,024 characters before trimming);
# a review pair ID encodes two of them.
MAX_IDENTIFIER = 1100
MAX_PAIR = 3000
MAX_PLATFORM = 32
MAX_EXCLUDE = 100

SegmentName = Annotated[str, Path(max_length=MAX_SEGMENT)]
DestinationName = Annotated[str, Path(max_length=64)]
IdPath = Annotated[str, Path(max_length=MAX_ID)]
PairPath = Annotated[str, Path(max_length=MAX_PAIR)]
# Beyond a 64-bit integer a store cannot even compare it (SQLite: OverflowError, a 500).
MAX_OFFSET = 2**53
Generation = Annotated[int, Path(ge=0, le=MAX_OFFSET)]
IdentifierType = Annotated[str, Path(max_length=64)]
IdentifierValue = Annotated[str, Path(max_length=1024)]
SegmentText = Annotated[str, StringConstraints(max_length=MAX_SEGMENT)]
PlatformQuery = Annotated[
    str,
    Query(max_length=MAX_PLATFORM, description="google, meta, tiktok, linkedin, snap or x"),
]
LeaseQuery = Annotated[str, Query(max_length=MAX_ID, description="the lease of the staged delta")]

# -- inputs ------------------------------------------------------------------------------

# Items in one batch request; more is a 413 naming `batch` (api/errors.py).
MAX_BATCH_ITEMS = 10_000


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

    batch: list[SegmentEvent] = Field(max_length=MAX_BATCH_ITEMS)


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

    def __str__(self) -> str:
        where = self.field if self.position is None else f"item {self.position}: {self.field}"
        return f"{where}: {self.reason}"


class ErrorOut(BaseModel):
    # Segment's and RudderStack's SDKs read `code` and `message` of an error body (and
    # report a body without them as a KeyError); `detail` and `errors` are ours. The
    # handlers in api/errors.py fill `code` and `message` where a caller left them empty.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: str = Field(default="", description="machine-readable: invalid_request, not_found, ...")
    message: str = Field(default="", description="what went wrong, with the first problems listed")
    detail: str
    errors: list[ItemProblem] = Field(default_factory=list)


class GoneOut(ErrorOut):
    """A person ID that was given out and is deleted now (its evidence was all removed):
    the ID and how it got there."""

    person_id: str = Field(description="the deleted person's ID")
    lineage: list[LineageStep] = Field(
        default_factory=list, description="the MERGED_INTO steps from the ID asked for"
    )
    split_from: str | None = None
    split_into: list[str] = Field(default_factory=list)


# Any route may answer this: a body that is not JSON (schemathesis sends them everywhere).
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the body is not valid JSON, or a bad item"},
}
