"""The write batch the core hands to a store: applied whole, in one transaction, or not at all.

Rows are slotted dataclasses (cheap to build in the ingest hot path). Timestamps are ISO-8601
UTC strings, which sort as text in every store.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class IdentifierRow:
    key: str
    type: str
    value: str
    first_seen: str
    last_seen: str
    person_id: str = ""


@dataclass(slots=True)
class LinkRow:
    """Evidence for one link from one source. `a < b` always (links are undirected)."""

    a: str
    b: str
    weight: float
    kind: str
    source: str
    count: int
    first_seen: str
    last_seen: str
    evidence: str = "{}"  # JSON text: the explanation of a probabilistic/steward link
    # "active" evidence never changes a stored status; "cannot_link" (a steward's reject)
    # replaces it, and such a link is never used to join persons.
    status: str = "active"


@dataclass(slots=True)
class ActivityRow:
    key: str
    kind: str
    target_type: str
    target_id: str
    count: int
    first_at: str
    last_at: str
    amount: float


@dataclass(slots=True)
class RecordRow:
    source: str
    record_id: str
    key: str
    attributes: str  # JSON object text
    observed_at: str


@dataclass(slots=True)
class PersonRow:
    person_id: str
    created_at: str
    updated_at: str
    merged_into: str | None = None


@dataclass(slots=True)
class LineageRow:
    from_id: str
    to_id: str
    kind: str  # MERGED_INTO | SPLIT_FROM
    at: str
    reason: str


@dataclass(slots=True)
class RefusedMergeRow:
    a: str
    b: str
    person_a: str
    person_b: str
    rule: str
    reason: str
    at: str


@dataclass(slots=True)
class HubRow:
    key: str
    reason: str


@dataclass(slots=True)
class ReviewRow:
    """A pair waiting for a steward, or decided by one."""

    a: str
    b: str
    probability: float
    evidence: str  # JSON
    fingerprint: str
    status: str  # pending | approved | rejected
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None


@dataclass(slots=True)
class AuditRow:
    at: str
    actor: str
    action: str
    subject: str
    detail: str  # JSON


@dataclass(slots=True)
class IdentifierState:
    """What clustering needs to know about an identifier already in the store."""

    person_id: str
    is_hub: bool
    joined: tuple[str, ...]  # persons it was linked to besides its own (capped)


@dataclass(slots=True)
class ChangeSet:
    """Everything one batch writes. Order of application is the store's business."""

    message_ids: list[tuple[str, str]] = field(default_factory=list)  # (id, at)
    identifiers: list[IdentifierRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)
    activity: list[ActivityRow] = field(default_factory=list)
    records: list[RecordRow] = field(default_factory=list)
    new_persons: list[PersonRow] = field(default_factory=list)
    # (loser, winner) in the order they happened: every identifier of loser moves to winner,
    # loser is kept as a redirect (lineage MERGED_INTO). Applied before `assignments`.
    merges: list[tuple[str, str]] = field(default_factory=list)
    # identifier key -> person id, for new identifiers and for identifiers moved by a split
    assignments: dict[str, str] = field(default_factory=dict)
    lineage: list[LineageRow] = field(default_factory=list)
    touched_persons: set[str] = field(default_factory=set)
    refused_links: list[tuple[str, str]] = field(default_factory=list)
    refused_merges: list[RefusedMergeRow] = field(default_factory=list)
    hubs: list[HubRow] = field(default_factory=list)
    joined: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> new value
    reviews: list[ReviewRow] = field(default_factory=list)  # upserted by (a, b)
    audit: list[AuditRow] = field(default_factory=list)
    at: str = ""

    def is_empty(self) -> bool:
        return not (
            self.message_ids
            or self.identifiers
            or self.links
            or self.activity
            or self.records
            or self.assignments
            or self.merges
            or self.refused_merges
            or self.hubs
            or self.reviews
            or self.audit
        )
