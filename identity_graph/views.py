"""Public data model: what the service returns and accepts (pydantic, so the API documents it).

Internal write batches use the slotted dataclasses of `identity_graph.stores.rows` instead:
the ingest hot path builds hundreds of thousands of them a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LinkKind = Literal["deterministic", "probabilistic", "steward"]
LinkStatus = Literal["active", "refused", "cannot_link"]
ActivityKind = Literal["PURCHASED", "VIEWED", "EXPOSED_TO", "OPENED_CASE", "CLOSED_CASE"]


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str = Field(description="type:normalized_value, unique")
    type: str
    value: str
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    hub: bool = Field(False, description="flagged as a hub: its links no longer stitch")
    hub_reason: str | None = None


class Link(BaseModel):
    """Why two identifiers are believed to belong to one person."""

    a: str
    b: str
    weight: float = Field(ge=0.0, le=1.0)
    kind: LinkKind
    status: LinkStatus = "active"
    sources: list[str] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class SourceRecord(BaseModel):
    """Attributes as one source (CRM, loyalty, ...) holds them for one of its records."""

    source: str
    record_id: str
    identifier: str = Field(description="key of the identifier the record hangs off")
    attributes: dict[str, str]
    observed_at: datetime | None = None


class ActivityItem(BaseModel):
    identifier: str
    kind: ActivityKind
    target_type: Literal["Product", "Campaign", "Case"]
    target_id: str
    day: str = Field(description="UTC day of the events, YYYY-MM-DD")
    count: int
    first_at: datetime | None = None
    last_at: datetime | None = None
    amount: float = 0.0


class ConsentSignal(BaseModel):
    """The newest consent signal of one identifier for one purpose (a denial wins a tie)."""

    identifier: str
    purpose: str
    granted: bool
    source: str
    at: datetime | None = None


class ActivitySummary(BaseModel):
    purchases: int = 0
    purchase_amount: float = 0.0
    products_bought: list[str] = Field(default_factory=list)
    products_viewed: int = 0
    exposures: dict[str, int] = Field(
        default_factory=dict, description="campaign id -> number of exposures"
    )
    open_cases: list[str] = Field(default_factory=list)
    last_activity_at: datetime | None = None


class Traits(BaseModel):
    """Computed across all of a person's identifiers (timestamps as canonical ISO text)."""

    purchase_count: int = Field(default=0, description="sum of purchase counts")
    purchase_amount: float = Field(default=0.0, description="sum of purchase amounts, rounded to 2")
    last_purchase_at: str | None = None
    products_bought: list[str] = Field(default_factory=list, description="product ids, sorted")
    view_count: int = 0
    exposure_count: int = 0
    exposures: dict[str, int] = Field(
        default_factory=dict, description="campaign id -> number of exposures"
    )
    open_case_count: int = Field(default=0, description="cases opened and not closed, anywhere")
    open_cases: list[str] = Field(default_factory=list)
    device_count: int = Field(default=0, description="identifiers of a device type (settings)")
    identifier_count: int = 0
    first_seen_at: str | None = None
    last_seen_at: str | None = None
    last_activity_at: str | None = None
    consent: dict[str, bool] = Field(
        default_factory=dict,
        description="purpose -> consent: the newest signal across identifiers, else the default",
    )


class LineageStep(BaseModel):
    """One lineage edge: `from_id` MERGED_INTO `to_id` (the old ID redirects there), or
    `from_id` SPLIT_FROM `to_id` (a piece that got a new ID when `to_id` fell apart)."""

    from_id: str
    to_id: str
    kind: Literal["MERGED_INTO", "SPLIT_FROM"]
    at: datetime | None = None
    reason: str | None = None


class Person(BaseModel):
    person_id: str
    created_at: datetime
    updated_at: datetime
    redirected_from: str | None = Field(
        None, description="the person ID asked for, when it was merged into this one"
    )
    lineage: list[LineageStep] = Field(
        default_factory=list,
        description="the path from the person ID asked for to this person: its MERGED_INTO "
        "steps, oldest first (empty when the ID asked for is this person's)",
    )
    split_from: str | None = Field(
        default=None, description="the person this one was split from (it got a new ID then)"
    )
    split_into: list[str] = Field(
        default_factory=list,
        description="the current IDs of the pieces split from this person (it kept its ID "
        "as the largest piece)",
    )
    identifiers: list[Identifier]
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="survivorship: most trusted source first, then the most recent value",
    )
    records: list[SourceRecord] = Field(default_factory=list, description="attributes per source")
    activity: ActivitySummary = Field(default_factory=ActivitySummary)
    traits: Traits = Field(default_factory=Traits)
    consent: list[ConsentSignal] = Field(
        default_factory=list,
        description="the consent signals behind traits.consent: the newest of each identifier "
        "for each purpose, with its source and time",
    )
    duplicates: list[DuplicateRecords] = Field(
        default_factory=list,
        description="sources that hold this person in more than one record",
    )


class DuplicateRecords(BaseModel):
    """Several records of one source in one person: one customer entered more than once
    (merged by matching, Settings.merge_duplicate_records), for a steward to review or to
    clean up at the source."""

    source: str
    identifiers: list[str] = Field(description="identifier keys of the source's records")


class RefusedMerge(BaseModel):
    a: str
    b: str
    person_a: str
    person_b: str
    rule: str
    reason: str
    at: datetime


class StoreStats(BaseModel):
    identifiers: int
    links: int
    persons: int
    hubs: int
    refused_merges: int
    activities: int
    records: int
    consent: int = Field(0, description="stored consent signals (one per identifier, purpose)")
