"""A person's profile: identifiers, attributes per source and by survivorship, activity
and traits, all from one read snapshot."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, cast

from pydantic import TypeAdapter

from identity_graph.config import Settings
from identity_graph.errors import GoneError, NotFoundError
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.profiles.lineage import Resolution, resolution_of, resolve
from identity_graph.profiles.traits import (
    IdentifierFact,
    compute_traits,
    facts_of,
    record_fact,
    surviving,
)
from identity_graph.stores.contract import StoreReader
from identity_graph.stores.profile_rows import ProfileRows
from identity_graph.stores.rows import Person as PersonRow
from identity_graph.stores.rows import StoredIdentifier
from identity_graph.views import (
    ActivityItem,
    ActivitySummary,
    ConsentSignal,
    DuplicateRecords,
    Person,
    SourceRecord,
)

_MAX_REDIRECTS = 64
# How often a person found without identifiers is resolved again before it is gone.
_GONE_RECHECKS = 2
# Stores keep timestamps as ISO text; this is the very parsing a `Person` field applies.
_TIMESTAMP = TypeAdapter(datetime)


def resolve_person_id(store: StoreReader, person_id: str) -> PersonId:
    """Follow MERGED_INTO redirects: an old person ID always resolves to its current person."""
    return current_person(store, person_id).person_id


def current_person(store: StoreReader, person_id: str) -> PersonRow:
    """The stored person an ID resolves to, following MERGED_INTO redirects."""
    current = PersonId(person_id)
    for _ in range(_MAX_REDIRECTS):
        info = store.persons([current]).get(current)
        if info is None:
            raise NotFoundError(f"no person with ID {person_id!r}")
        if info.merged_into is None:
            return info
        current = info.merged_into
    raise NotFoundError(f"person ID {person_id!r}: lineage too deep to follow")


class Reads(Protocol):
    """Where a profile is read: a store, or its lookup connections (`stores.lookups`)."""

    def reader(self) -> AbstractContextManager[StoreReader]: ...


class OneQueryProfile(Protocol):
    """A reader that reads a whole profile in one query (Neo4j: one round trip)."""

    def profile(self, person_id: str | None, key: IdentifierKey | None) -> ProfileRows | None: ...


@dataclass(slots=True)
class ProfileRead:
    """What a profile is built from, as of one read: `name` is the person ID asked for (an
    identifier's: the person it belongs to)."""

    name: str
    found: Resolution
    members: list[StoredIdentifier]
    records: list[SourceRecord] = field(default_factory=list)
    activity: list[ActivityItem] = field(default_factory=list)
    consent: list[ConsentSignal] = field(default_factory=list)


class LargeProfile(Exception):
    """A person of more identifiers than the read was allowed (`max_members`)."""


def build_profile(
    source: Reads, settings: Settings, person_id: str, *, max_members: int | None = None
) -> Person:
    """The profile as of one read snapshot, for any person ID once given out
    (`profiles.lineage`): GoneError for one whose evidence was all removed; LargeProfile,
    before its rows are read, for a person of more than `max_members` identifiers."""
    read = read_profile(source, person_id, None, max_members)
    assert read is not None  # an unknown person ID raised NotFoundError
    return assemble(read, settings)


def identifier_profile(
    source: Reads, settings: Settings, key: IdentifierKey, *, max_members: int | None = None
) -> Person | None:
    """The profile of the person a stored identifier belongs to; None for an unknown one
    (`build_profile`)."""
    read = read_profile(source, None, key, max_members)
    return assemble(read, settings) if read is not None else None


def read_profile(
    source: Reads,
    person_id: str | None,
    key: IdentifierKey | None,
    max_members: int | None = None,
) -> ProfileRead | None:
    """The rows of the profile a person ID (or else an identifier key) names, in one read
    snapshot: None for an unknown key, NotFoundError for an unknown ID, GoneError for a
    person whose evidence was all removed."""
    with source.reader() as r:
        for attempt in range(_GONE_RECHECKS + 1):
            read = _read_once(r, person_id, key, max_members)
            if read is None or read.members:
                return read
            # Neo4j reads are read-committed, not a snapshot: a merge committed between the
            # two reads leaves the person row read before it and its identifiers moved
            # already. Resolved again, the ID follows the merge; only a person row still
            # current and still empty was deleted.
            if attempt == _GONE_RECHECKS:
                raise gone(read.name, read.found)
    raise AssertionError("unreachable")  # pragma: no cover


def _read_once(
    r: StoreReader, person_id: str | None, key: IdentifierKey | None, max_members: int | None
) -> ProfileRead | None:
    # Not isinstance: a check against a runtime protocol costs more than a SQLite read.
    one_query = cast(OneQueryProfile, r) if hasattr(r, "profile") else None
    if one_query is not None:
        rows = one_query.profile(person_id, key)
        if rows is None and key is not None:
            return None
        if rows is None:
            raise NotFoundError(f"no person with ID {person_id!r}")
        if rows.complete:
            return ProfileRead(
                rows.chain[0].person_id,
                resolution_of(rows),
                rows.members,
                rows.records,
                rows.activity,
                rows.consent,
            )
    if key is not None:
        stored = r.identifiers([key]).get(key)
        if stored is None:
            return None
        person_id = stored.person_id
    assert person_id is not None  # one of the two names the person
    found = resolve(r, person_id)
    current = found.person.person_id
    # Counted from an index before any row is read: ~1 ms for 10,000 identifiers, whose
    # read would take ~180 ms.
    if max_members is not None:
        counts = r.type_counts([current]).get(current, {})
        if sum(counts.values()) > max_members:
            raise LargeProfile(current)
    members = r.members([current]).get(current, [])
    keys = [i.key for i in members]
    if not keys:
        return ProfileRead(person_id, found, members)
    return ProfileRead(
        person_id, found, members, r.records(keys), r.activity(keys), r.consent(keys)
    )


def assemble(read: ProfileRead, settings: Settings) -> Person:
    found, members, records = read.found, read.members, read.records
    info = found.person
    current = info.person_id
    keys = [i.key for i in members]
    idents = [IdentifierFact(i.key, i.type, i.first_seen, i.last_seen) for i in members]
    facts = facts_of(
        {current: idents}, dict.fromkeys(keys, current), records, read.activity, read.consent
    )
    return Person(
        person_id=current,
        created_at=_TIMESTAMP.validate_python(info.created_at),
        updated_at=_TIMESTAMP.validate_python(info.updated_at),
        redirected_from=read.name if current != read.name else None,
        lineage=found.path,
        split_from=found.split_from,
        split_into=list[str](found.split_into),
        identifiers=[i.view() for i in members],
        attributes=survive(records, settings.source_priority),
        records=records,
        activity=summarize(read.activity),
        traits=compute_traits(facts[current], settings),
        consent=read.consent,
        duplicates=duplicate_records(records),
    )


def gone(person_id: str, found: Resolution) -> GoneError:
    """A person row left without identifiers: every piece of its evidence was removed
    (erasure removes the row as well, which makes the ID unknown)."""
    return GoneError(
        f"person {found.person.person_id} was deleted: all of its evidence was removed",
        person_id=found.person.person_id,
        lineage=found.path,
        split_from=found.split_from,
        split_into=list[str](found.split_into),
    )


def duplicate_records(records: list[SourceRecord]) -> list[DuplicateRecords]:
    """Sources with more than one record of this person, by source."""
    by_source: dict[str, set[str]] = {}
    for rec in records:
        by_source.setdefault(rec.source, set()).add(rec.identifier)
    return [
        DuplicateRecords(source=source, identifiers=sorted(keys))
        for source, keys in sorted(by_source.items())
        if len(keys) > 1
    ]


def survive(records: list[SourceRecord], priority: list[str]) -> dict[str, str]:
    """Each attribute from the most trusted source that has it (unlisted sources after the
    listed ones), then the most recent record, then by source and record_id."""
    facts = [record_fact(r) for r in records]
    return {name: value for name, (value, _) in surviving(facts, priority).items()}


def summarize(items: list[ActivityItem]) -> ActivitySummary:
    summary = ActivitySummary()
    bought: set[str] = set()
    opened: set[str] = set()
    closed: set[str] = set()
    for item in items:
        if item.kind == "PURCHASED":
            summary.purchases += item.count
            summary.purchase_amount += item.amount
            bought.add(item.target_id)
        elif item.kind == "VIEWED":
            summary.products_viewed += item.count
        elif item.kind == "EXPOSED_TO":
            summary.exposures[item.target_id] = (
                summary.exposures.get(item.target_id, 0) + item.count
            )
        elif item.kind == "OPENED_CASE":
            opened.add(item.target_id)
        elif item.kind == "CLOSED_CASE":
            closed.add(item.target_id)
        if item.last_at is not None and (
            summary.last_activity_at is None or item.last_at > summary.last_activity_at
        ):
            summary.last_activity_at = item.last_at
    summary.purchase_amount = round(summary.purchase_amount, 2)
    summary.products_bought = sorted(bought)
    summary.open_cases = sorted(opened - closed)
    return summary
