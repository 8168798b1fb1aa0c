"""The steward's desk for the graph's lifecycle: ingest batches (provenance), removal of
evidence, merge and split of persons, hubs. Every write is audited with the caller's key
name as the actor; the use cases are `identity_graph.service.lifecycle`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from identity_graph.api.auth import CallerDep
from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import MAX_IDENTIFIER, ErrorOut, IdPath
from identity_graph.ingest.limits import MAX_ID, MAX_TEXT
from identity_graph.service.lifecycle import (
    BatchItem,
    HubDecision,
    HubItem,
    MergeResult,
    RemovalResult,
    SplitResult,
)

router = APIRouter(tags=["lifecycle"])

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_IDENTIFIER)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
# A split names at most this many groups, each of at most this many identifiers.
MAX_GROUPS = 100
MAX_GROUP_KEYS = 10_000

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "what the body names does not exist"},
    409: {"model": ErrorOut, "description": "contradicts the current state"},
}


class RemoveIn(BaseModel):
    """Exactly one of `link`, `identifier`, `source`, `batch`, and why."""

    model_config = ConfigDict(extra="forbid")

    link: list[Key] | None = Field(None, min_length=2, max_length=2)
    identifier: Key | None = None
    source: Name | None = None
    batch: Name | None = None
    reason: Reason


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persons: list[Name] = Field(min_length=2, max_length=2)
    reason: Reason
    lift_cannot_links: bool = Field(
        False,
        description="override the cannot-links between the two persons (an earlier split or "
        "rejected pair): they become active links again instead of a 409",
    )


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[Annotated[list[Key], Field(max_length=MAX_GROUP_KEYS)]] = Field(
        min_length=2, max_length=MAX_GROUPS
    )
    reason: Reason


class HubIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    reason: Reason


@router.get("/v1/batches", response_model=list[BatchItem])
def batches(
    service: ServiceDep,
    source: Annotated[str | None, Query(min_length=1, max_length=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[BatchItem]:
    """Ingest batches (newest first) and what each wrote, from their provenance."""
    return service.lifecycle.batches(source, limit)


@router.post("/v1/evidence/remove", response_model=RemovalResult, responses=_WRITE_ERRORS)
def remove_evidence(body: RemoveIn, service: ServiceDep, caller: CallerDep) -> RemovalResult:
    """Take back one link, one identifier, or everything one source or ingest batch wrote;
    the persons it touched are re-clustered (the largest piece keeps its ID)."""
    return service.lifecycle.remove(
        link=body.link,
        identifier=body.identifier,
        source=body.source,
        batch=body.batch,
        by=caller.name,
        reason=body.reason,
    )


@router.post("/v1/persons/merge", response_model=MergeResult, responses=_WRITE_ERRORS)
def merge_persons(body: MergeIn, service: ServiceDep, caller: CallerDep) -> MergeResult:
    """Merge two persons with a steward must-link (MERGED_INTO lineage)."""
    return service.lifecycle.merge(
        body.persons, caller.name, body.reason, lift_cannot_links=body.lift_cannot_links
    )


@router.post("/v1/persons/{person_id}/split", response_model=SplitResult, responses=_WRITE_ERRORS)
def split_person(
    person_id: IdPath, body: SplitIn, service: ServiceDep, caller: CallerDep
) -> SplitResult:
    """Split a person by naming which identifiers go together (the ones not named join the
    first group); cannot-links keep the groups apart from then on."""
    return service.lifecycle.split(person_id, body.groups, caller.name, body.reason)


@router.get("/v1/hubs", response_model=list[HubItem])
def list_hubs(
    service: ServiceDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[HubItem]:
    """Hubs (flagged or confirmed) with the persons they touch."""
    return service.lifecycle.hubs(limit)


@router.post("/v1/hubs/confirm", response_model=HubDecision, responses=_WRITE_ERRORS)
def confirm_hub(body: HubIn, service: ServiceDep, caller: CallerDep) -> HubDecision:
    """A steward says it is a hub: it never stitches (sticky)."""
    return service.lifecycle.confirm_hub(body.key, caller.name, body.reason)


@router.post("/v1/hubs/release", response_model=HubDecision, responses=_WRITE_ERRORS)
def release_hub(body: HubIn, service: ServiceDep, caller: CallerDep) -> HubDecision:
    """A steward says it is no hub: its links stitch again (merge rules still hold) and the
    hub rule never flags it again."""
    return service.lifecycle.release_hub(body.key, caller.name, body.reason)
