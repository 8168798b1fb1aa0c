"""What is known of a person, across all its identifiers (`PersonFacts`), and the traits
computed from it (`compute_traits`): the one input of profiles, the reference segment
evaluator and `why`.

Timestamps stay canonical ISO text (`...T10:00:00.000000Z`), as the stores keep them and
as the compiled segments compare them, so the evaluator and the compilers order them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from identity_graph.config import Settings
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.ingest.observations import format_ts
from identity_graph.stores.contract import StoreReader
from identity_graph.stores.rows import ActivityRow, ConsentRow
from identity_graph.views import ActivityItem, ConsentSignal, SourceRecord, Traits

__all__ = [
    "IdentifierFact",
    "PersonFacts",
    "RecordFact",
    "compute_traits",
    "consent_of",
    "facts_of",
    "load_facts",
    "record_fact",
    "source_rank",
    "surviving",
]


@dataclass(frozen=True, slots=True)
class IdentifierFact:
    key: IdentifierKey
    type: str
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class RecordFact:
    source: str
    record_id: str
    key: IdentifierKey
    observed_at: str
    attributes: dict[str, str]


@dataclass(slots=True)
class PersonFacts:
    """Everything segments and traits read of one person; activity and consent are the
    store's own rows (text timestamps), one per identifier, target and day / purpose."""

    person_id: PersonId
    identifiers: list[IdentifierFact] = field(default_factory=list)
    records: list[RecordFact] = field(default_factory=list)
    activity: list[ActivityRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)


def _text(value: datetime | None) -> str:
    return format_ts(value) if value is not None else ""


def record_fact(r: SourceRecord) -> RecordFact:
    return RecordFact(
        r.source, r.record_id, IdentifierKey(r.identifier), _text(r.observed_at), r.attributes
    )


def _activity(a: ActivityItem) -> ActivityRow:
    return ActivityRow(
        IdentifierKey(a.identifier),
        a.kind,
        a.target_type,
        a.target_id,
        a.day,
        a.count,
        _text(a.first_at),
        _text(a.last_at),
        a.amount,
    )


def _consent(c: ConsentSignal) -> ConsentRow:
    return ConsentRow(IdentifierKey(c.identifier), c.purpose, c.granted, c.source, _text(c.at))


def load_facts(reader: StoreReader, person_ids: Sequence[PersonId]) -> dict[PersonId, PersonFacts]:
    """The facts of these persons from one reader, in four batch reads whatever their
    number; a person without identifiers (merged, unknown) is absent."""
    members = reader.members(person_ids)
    owner = {i.key: pid for pid, idents in members.items() for i in idents}
    keys = list(owner)
    if not keys:
        return {}
    return facts_of(
        {
            pid: [IdentifierFact(i.key, i.type, i.first_seen, i.last_seen) for i in idents]
            for pid, idents in members.items()
        },
        owner,
        reader.records(keys),
        reader.activity(keys),
        reader.consent(keys),
    )


def facts_of(
    identifiers: dict[PersonId, list[IdentifierFact]],
    owner: dict[IdentifierKey, PersonId],
    records: Iterable[SourceRecord],
    activity: Iterable[ActivityItem],
    consent: Iterable[ConsentSignal],
) -> dict[PersonId, PersonFacts]:
    """Facts from rows already read (`owner`: identifier key -> its person)."""
    out = {pid: PersonFacts(pid, idents) for pid, idents in identifiers.items()}
    for r in records:
        out[owner[IdentifierKey(r.identifier)]].records.append(record_fact(r))
    for a in activity:
        out[owner[IdentifierKey(a.identifier)]].activity.append(_activity(a))
    for c in consent:
        out[owner[IdentifierKey(c.identifier)]].consent.append(_consent(c))
    return out


# -- survivorship -------------------------------------------------------------------------


def source_rank(priority: Sequence[str]) -> dict[str, int]:
    """Survivorship rank of each listed source; an unlisted one ranks `len(rank)`."""
    rank: dict[str, int] = {}
    for i, source in enumerate(priority):
        rank.setdefault(source, i)
    return rank


def survivorship_order(records: Iterable[RecordFact], priority: Sequence[str]) -> list[RecordFact]:
    """Records in the order their values win: the earliest source of `priority` (unlisted
    sources after every listed one), then the most recent `observed_at`, then source name
    ascending, then record_id ascending (deterministic on every tie)."""
    rank = source_rank(priority)
    by_name = sorted(records, key=lambda r: (r.source, r.record_id))
    newest_first = sorted(by_name, key=lambda r: r.observed_at, reverse=True)  # stable
    return sorted(newest_first, key=lambda r: rank.get(r.source, len(rank)))


def surviving(
    records: Iterable[RecordFact], priority: Sequence[str]
) -> dict[str, tuple[str, RecordFact]]:
    """Each attribute's surviving value, with the record it comes from."""
    out: dict[str, tuple[str, RecordFact]] = {}
    for record in survivorship_order(records, priority):
        for name, value in record.attributes.items():
            out.setdefault(name, (value, record))
    return out


# -- traits -------------------------------------------------------------------------------


def consent_of(
    facts: PersonFacts, purpose: str, settings: Settings
) -> tuple[bool, ConsentRow | None]:
    """A person's consent for `purpose`: the signal with the greatest `at` among its
    identifiers' (on a tie, a denial wins), else the configured default; with the signal."""
    best: ConsentRow | None = None
    for c in facts.consent:
        if c.purpose != purpose:
            continue
        if best is None or (c.at, not c.granted) > (best.at, not best.granted):
            best = c
    if best is None:
        return settings.consent_defaults.get(purpose, False), None
    return best.granted, best


def compute_traits(facts: PersonFacts, settings: Settings) -> Traits:
    """The closed set of traits of one person, over all its identifiers."""
    purchases = [a for a in facts.activity if a.kind == "PURCHASED"]
    exposures: dict[str, int] = {}
    opened: set[str] = set()
    closed: set[str] = set()
    for a in facts.activity:
        if a.kind == "EXPOSED_TO":
            exposures[a.target_id] = exposures.get(a.target_id, 0) + a.count
        elif a.kind == "OPENED_CASE":
            opened.add(a.target_id)
        elif a.kind == "CLOSED_CASE":
            closed.add(a.target_id)
    purposes = sorted({*settings.consent_defaults, *(c.purpose for c in facts.consent)})
    devices = set(settings.device_types)
    return Traits(
        purchase_count=sum(a.count for a in purchases),
        purchase_amount=round(sum(a.amount for a in purchases), 2),
        last_purchase_at=max((a.last_at for a in purchases), default=None),
        products_bought=sorted({a.target_id for a in purchases}),
        view_count=sum(a.count for a in facts.activity if a.kind == "VIEWED"),
        exposure_count=sum(exposures.values()),
        exposures=dict(sorted(exposures.items())),
        open_case_count=len(opened - closed),
        open_cases=sorted(opened - closed),
        device_count=sum(1 for i in facts.identifiers if i.type in devices),
        identifier_count=len(facts.identifiers),
        first_seen_at=min((i.first_seen for i in facts.identifiers), default=None),
        last_seen_at=max((i.last_seen for i in facts.identifiers), default=None),
        last_activity_at=max((a.last_at for a in facts.activity), default=None),
        consent={p: consent_of(facts, p, settings)[0] for p in purposes},
    )
