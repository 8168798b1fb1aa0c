"""Use cases of audiences: named segments, their members and counts, why a person is in
one, destinations, and exports to ad platforms. The API and the CLI call these only.

A segment is stored as its JSON expression (the contract users write); every use parses it
again, so a segment saved by an older version is checked by today's rules. `in_segment`
references are expanded when a segment is used, not when it is saved: replacing a segment
changes every segment that names it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from identity_graph.config import Settings
from identity_graph.errors import ConflictError, InvalidValue, NotFoundError
from identity_graph.exports import ledger
from identity_graph.exports.platforms import ExportPerson, Platform, get_platform
from identity_graph.exports.run import (
    ExportOutcome,
    Progress,
    audience_warnings,
    export_files,
    platform_rows,
)
from identity_graph.ids import PersonId
from identity_graph.ingest.observations import utc_now
from identity_graph.profiles.build import current_person, survive
from identity_graph.profiles.traits import load_facts
from identity_graph.segments.ast import Expr, InSegment, children, parse_segment
from identity_graph.segments.context import EvalContext
from identity_graph.segments.library import is_ready_made
from identity_graph.segments.resolve import resolve
from identity_graph.segments.why import TraceNode, why
from identity_graph.stores.contract import GraphStore, StoreReader
from identity_graph.stores.rows import ChangeSet, DestinationRow, SegmentRow

_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_CURSOR_PREFIX = "p1:"
_EARLIEST_AS_OF = 1970
_LATEST_AS_OF = 9000
# Persons read per round trip while an export streams the audience.
_EXPORT_CHUNK = 2_000
# Consent is checked by the export itself, whatever the segment says.
AD_PURPOSE = "ad_personalization"


class SegmentInfo(BaseModel):
    name: str
    definition: dict[str, Any] = Field(description="the segment's JSON expression")
    created_at: datetime
    updated_at: datetime


class SegmentCount(BaseModel):
    segment: str
    count: int


class MembersPage(BaseModel):
    segment: str
    members: list[str] = Field(description="person IDs, in person ID order")
    next_cursor: str | None = Field(
        None, description="pass as `cursor` for the next page; absent on the last one"
    )


class SegmentWhy(BaseModel):
    segment: str
    person_id: str = Field(description="the current person (an old ID resolves to it)")
    member: bool
    as_of: datetime = Field(description="the time windows were evaluated at")
    nodes: list[TraceNode] = Field(
        description="every node of the resolved expression, in order: its result and, for "
        "criteria, the identifiers, activity, consent and records behind it"
    )


class DeltaStaged(BaseModel):
    """A delta staged for a destination: fetch both sides, upload them, then commit."""

    destination: str
    generation: int
    lease: str = Field(description="pass back to fetch, commit or abort this delta")
    add: int = Field(description="rows to add")
    remove: int = Field(description="rows to remove")
    persons: int
    batch_size: int
    warnings: list[str] = Field(default_factory=list)


class DestinationInfo(BaseModel):
    name: str
    platform: str
    segment: str
    created_at: datetime
    generation: int = Field(description="exports recorded so far (0: none yet)")
    last_export_at: datetime | None = None
    members_sent: int = Field(description="rows the destination holds, as this service sent them")


def check_name(name: str, what: str = "segment") -> str:
    if not _NAME.fullmatch(name):
        raise InvalidValue(
            f"{what} name {name!r}: use 1-64 lower-case letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return name


def encode_cursor(person_id: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + person_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX) or len(text) == len(_CURSOR_PREFIX):
        raise InvalidValue("cursor: not a cursor this service gave out")
    return text[len(_CURSOR_PREFIX) :]


class Audiences:
    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    # -- segments --------------------------------------------------------------------

    def save(self, name: str, definition: object) -> tuple[SegmentInfo, bool]:
        """Create or replace a segment; (its info, whether it was created)."""
        check_name(name)
        if is_ready_made(name):
            raise ConflictError(f"{name!r} is a ready-made list; pick another name")
        expr = parse_segment(definition)
        with self.store.reader() as r:
            # Checked now so that a typo'd in_segment is an error at save time.
            self._resolve(r, expr, saving=name)
        body = json.dumps(definition, sort_keys=True, separators=(",", ":"))
        at = utc_now()
        with self.store.unit_of_work() as tx:
            existing = tx.segments([name])
            created = not existing
            row = SegmentRow(name, body, existing[0].created_at if existing else at, at)
            tx.apply(ChangeSet(at=at, segments=[row]))
        return _info(row), created

    def list_segments(self) -> list[SegmentInfo]:
        with self.store.reader() as r:
            return [_info(row) for row in r.segments(None)]

    def show(self, name: str) -> SegmentInfo:
        with self.store.reader() as r:
            return _info(self._row(r, name))

    def delete(self, name: str) -> None:
        with self.store.unit_of_work() as tx:
            self._row(tx, name)
            users = [
                row.name
                for row in tx.segments(None)
                if row.name != name and name in _references(parse_segment(json.loads(row.body)))
            ]
            if users:
                raise ConflictError(
                    f"segment {name!r} is used by {', '.join(sorted(users))}; change those first"
                )
            used_by = [d.name for d in tx.destinations(None) if d.segment == name]
            if used_by:
                raise ConflictError(
                    f"segment {name!r} feeds destination(s) {', '.join(used_by)}; delete them first"
                )
            tx.apply(ChangeSet(at=utc_now(), delete_segments=[name]))

    def count(self, name: str, as_of: datetime | None = None) -> SegmentCount:
        with self.store.reader() as r:
            expr = self._named(r, name)
            return SegmentCount(segment=name, count=r.segment_count(expr, self._ctx(as_of)))

    def members(
        self,
        name: str,
        *,
        limit: int = 1000,
        cursor: str | None = None,
        as_of: datetime | None = None,
    ) -> MembersPage:
        """One page; pages are keyset on person ID, so concurrent ingest never repeats or
        skips a person that stays a member (new members land where their ID sorts)."""
        after = decode_cursor(cursor) if cursor else None
        with self.store.reader() as r:
            expr = self._named(r, name)
            ids = r.segment_members(expr, self._ctx(as_of), after, limit)
        more = len(ids) == limit
        return MembersPage(
            segment=name, members=list(ids), next_cursor=encode_cursor(ids[-1]) if more else None
        )

    def iter_members(self, name: str, as_of: datetime | None = None) -> Iterator[str]:
        with self.store.reader() as r:
            expr = self._named(r, name)
            yield from r.iter_segment(expr, self._ctx(as_of))

    def why(self, name: str, person_id: str, as_of: datetime | None = None) -> SegmentWhy:
        ctx = self._ctx(as_of)
        with self.store.reader() as r:
            expr = self._named(r, name)
            current = current_person(r, person_id).person_id
            facts = load_facts(r, [current]).get(current)
        trace = why(expr, facts, ctx) if facts is not None else None
        return SegmentWhy(
            segment=name,
            person_id=current,
            member=trace.result if trace is not None else False,
            as_of=ctx.as_of,
            nodes=trace.nodes if trace is not None else [],
        )

    # -- destinations ----------------------------------------------------------------

    def create_destination(self, name: str, platform: str, segment: str) -> DestinationInfo:
        check_name(name, "destination")
        get_platform(platform)
        at = utc_now()
        with self.store.unit_of_work() as tx:
            if tx.destinations([name]):
                raise ConflictError(f"destination {name!r} exists already")
            if not is_ready_made(segment):
                self._row(tx, segment)
            row = DestinationRow(name, platform, segment, at, 0, None, None, None)
            tx.apply(ChangeSet(at=at, destinations=[row]))
        return self._destination_info(row, 0)

    def destinations(self) -> list[DestinationInfo]:
        with self.store.reader() as r:
            return [self._destination_info(d, r.ledger_size(d.name)) for d in r.destinations(None)]

    def destination(self, name: str) -> DestinationInfo:
        with self.store.reader() as r:
            found = r.destinations([name])
            if not found:
                raise NotFoundError(f"no destination named {name!r}")
            return self._destination_info(found[0], r.ledger_size(name))

    def delete_destination(self, name: str) -> None:
        with self.store.unit_of_work() as tx:
            if not tx.destinations([name]):
                raise NotFoundError(f"no destination named {name!r}")
            tx.apply(ChangeSet(at=utc_now(), delete_destinations=[name]))

    # -- exports ---------------------------------------------------------------------

    def audience(self, name: str, exclude: Sequence[str] = ()) -> dict[str, Any]:
        """The JSON expression an export evaluates: the segment, minus the exclusion lists,
        restricted to persons whose consent allows ad personalization."""
        parts: list[dict[str, Any]] = [{"in_segment": {"name": name}}]
        parts.append({"consent": {"purpose": AD_PURPOSE}})
        parts.extend({"not": {"in_segment": {"name": ex}}} for ex in exclude)
        return {"and": parts}

    def export_count(self, name: str, exclude: Sequence[str] = ()) -> int:
        with self.store.reader() as r:
            for each in (name, *exclude):
                self._named(r, each)  # unknown names: NotFoundError naming them
            expr = self._resolve(r, parse_segment(self.audience(name, exclude)))
            return r.segment_count(expr, self._ctx(None))

    def export_people(self, name: str, exclude: Sequence[str] = ()) -> Iterator[ExportPerson]:
        """The audience's persons with their identifiers and surviving attributes, streamed
        in chunks from one snapshot of its members."""
        with self.store.reader() as ids_reader:
            expr = self._resolve(ids_reader, parse_segment(self.audience(name, exclude)))
            chunk: list[PersonId] = []
            for person_id in ids_reader.iter_segment(expr, self._ctx(None)):
                chunk.append(person_id)
                if len(chunk) >= _EXPORT_CHUNK:
                    yield from self._people(chunk)
                    chunk = []
            yield from self._people(chunk)

    def _people(self, ids: list[PersonId]) -> Iterator[ExportPerson]:
        if not ids:
            return
        with self.store.reader() as r:
            members = r.members(ids)
            keys = [i.key for idents in members.values() for i in idents]
            by_key: dict[str, list[Any]] = {}
            for record in r.records(keys):
                by_key.setdefault(record.identifier, []).append(record)
        for person_id in ids:
            idents = members.get(person_id, [])
            records = [rec for i in idents for rec in by_key.get(i.key, [])]
            yield ExportPerson(
                person_id=person_id,
                identifiers=[(i.type, i.value) for i in idents],
                attributes=survive(records, self.settings.source_priority),
            )

    def export_rows(
        self, name: str, platform: str, exclude: Sequence[str] = ()
    ) -> tuple[Platform, int, Iterator[Sequence[str]]]:
        """(platform, persons, rows) of a full export, streamed (the HTTP export)."""
        target = self._platform(platform)
        persons = self.export_count(name, exclude)
        rows = (cells for _, cells in platform_rows(target, self.export_people(name, exclude)))
        return target, persons, rows

    def export(
        self,
        name: str,
        platform: str,
        output: Path,
        *,
        exclude: Sequence[str] = (),
        destination: str | None = None,
        delta: bool = False,
        split: bool = False,
        on_progress: Progress | None = None,
    ) -> ExportOutcome:
        target = self._platform(platform)
        persons = self.export_count(name, exclude)
        return export_files(
            self.store,
            target,
            self.export_people(name, exclude),
            segment=name,
            persons=persons,
            output=output,
            destination=destination,
            delta=delta,
            split=split,
            on_progress=on_progress,
        )

    def stage_delta(self, name: str, exclude: Sequence[str] = ()) -> DeltaStaged:
        """Stage the next delta of a destination and hold its lease until `commit_delta`
        (or `abort_delta`, or the lease's expiry)."""
        dest, gen, token = ledger.acquire(self.store, name)
        try:
            target = self._platform(dest.platform)
            persons = self.export_count(dest.segment, exclude)
            people = self.export_people(dest.segment, exclude)
            ledger.stage(self.store, name, gen, platform_rows(target, people))
            counts = {
                side: sum(1 for _ in ledger.pending(self.store, name, gen, side))
                for side in ("add", "remove")
            }
        except BaseException:
            ledger.release(self.store, name, token)
            raise
        return DeltaStaged(
            destination=name,
            generation=gen,
            lease=token,
            add=counts["add"],
            remove=counts["remove"],
            persons=persons,
            batch_size=target.batch_size,
            warnings=audience_warnings(target, persons),
        )

    def delta_rows(
        self, name: str, gen: int, side: Literal["add", "remove"], lease: str
    ) -> tuple[Platform, Iterator[list[str]]]:
        dest = self._leased(name, gen, lease)
        return self._platform(dest.platform), ledger.pending(self.store, name, gen, side)

    def commit_delta(self, name: str, gen: int, lease: str) -> DestinationInfo:
        self._leased(name, gen, lease)
        ledger.commit(self.store, name, gen, lease)
        return self.destination(name)

    def abort_delta(self, name: str, gen: int, lease: str) -> None:
        self._leased(name, gen, lease)
        ledger.release(self.store, name, lease)

    def _leased(self, name: str, gen: int, lease: str) -> DestinationRow:
        dest = ledger.destination(self.store, name)
        if not ledger.holds(dest, gen, lease):
            raise ConflictError(
                f"destination {name!r} has no staged delta {gen} under that lease "
                "(committed, aborted, expired or taken over)"
            )
        return dest

    # -- helpers ---------------------------------------------------------------------

    def _platform(self, name: str) -> Platform:
        return get_platform(name, default_region=self.settings.default_phone_region)

    def _ctx(self, as_of: datetime | None) -> EvalContext:
        if as_of is not None:
            if as_of.tzinfo is None:
                as_of = as_of.replace(tzinfo=UTC)
            # A time window reaches MAX_DAYS back from as_of: both ends must be datetimes.
            if not _EARLIEST_AS_OF <= as_of.year <= _LATEST_AS_OF:
                raise InvalidValue(
                    f"as_of: must lie between the years {_EARLIEST_AS_OF} and {_LATEST_AS_OF}"
                )
        return EvalContext(as_of=as_of or datetime.now(UTC), settings=self.settings)

    def _row(self, r: StoreReader, name: str) -> SegmentRow:
        found = r.segments([name])
        if not found:
            raise NotFoundError(f"no segment named {name!r}")
        return found[0]

    def _named(self, r: StoreReader, name: str) -> Expr:
        """The resolved expression of a stored segment or a ready-made list."""
        if not is_ready_made(name):
            self._row(r, name)
        return self._resolve(r, parse_segment({"in_segment": {"name": name}}))

    def _resolve(self, r: StoreReader, expr: Expr, saving: str | None = None) -> Expr:
        def lookup(name: str) -> Expr | None:
            if name == saving:
                raise InvalidValue(f"segment {name!r} cannot contain itself")
            found = r.segments([name])
            return parse_segment(json.loads(found[0].body)) if found else None

        return resolve(expr, lookup)

    def _destination_info(self, row: DestinationRow, sent: int) -> DestinationInfo:
        return DestinationInfo(
            name=row.name,
            platform=row.platform,
            segment=row.segment,
            created_at=datetime.fromisoformat(row.created_at),
            generation=row.gen,
            last_export_at=datetime.fromisoformat(row.last_export_at)
            if row.last_export_at
            else None,
            members_sent=sent,
        )


def _info(row: SegmentRow) -> SegmentInfo:
    return SegmentInfo(
        name=row.name,
        definition=json.loads(row.body),
        created_at=datetime.fromisoformat(row.created_at),
        updated_at=datetime.fromisoformat(row.updated_at),
    )


def _references(expr: Expr) -> set[str]:
    """The segment names an (unresolved) expression's in_segment nodes name."""
    if isinstance(expr, InSegment):
        return {expr.in_segment.name}
    return {name for child in children(expr) for name in _references(child)}
