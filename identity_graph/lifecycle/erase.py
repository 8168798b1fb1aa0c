"""Erasure (GDPR Art. 17): a person and everything of them leaves the store, and only a
salted hash of each erased identifier stays behind, so that a replay cannot bring them back.

`erase_persons` plans one unit of work for a chunk of persons: the current person of each
target (an old merged ID resolves first), the old IDs merged into it, and one ChangeSet
deleting their identifiers (with links, activity, records, consent and provenance), review
pairs, refused merges, unsent export-ledger rows (except those of a delta being exported
now), person rows and lineage; rewriting audit
rows that mention an erased key to `erased:{digest[:16]}`; adding a tombstone per erased
identifier and one `person.erase` audit row per person that names no key.

A hub identifier belonging to the person (a call-centre cookie: shared by many people) is
deleted but not tombstoned: its tombstone would drop every other person's events carrying
it. The person's own identifiers are tombstoned, and they are what a replay would stitch.

`drop_erased` is ingest's side: observations carrying a tombstoned identifier are dropped
(and counted) before anything is aggregated.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from identity_graph.exports.ledger import staging
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.ingest.observations import Observation
from identity_graph.stores.contract import StoreReader, StoreTx
from identity_graph.stores.rows import AuditRow, ChangeSet, TombstoneRow, tombstone_digest

ACTION = "person.erase"
#: Persons erased per unit of work: bounded memory and transaction size for any number.
ERASE_CHUNK = 500
_MAX_REDIRECTS = 64  # as profiles.build: a longer chain is a bug, never followed for ever


def redacted(digest: str) -> str:
    """What an erased key becomes in the audit trail: traceable to its tombstone (the
    digest's prefix), never to the key."""
    return f"erased:{digest[:16]}"


@dataclass(slots=True)
class Erased:
    """What the erasure of one person removed (counts only: the keys are gone)."""

    person_id: PersonId
    merged_ids: list[PersonId]
    identifiers: int
    links: int
    records: int
    activity: int
    consent: int
    tombstones: list[str]


@dataclass(slots=True)
class Targets:
    """A chunk of what to erase: identifier keys and person IDs, each with the position it
    had in the caller's list (reports name positions, never values)."""

    keys: list[tuple[int, IdentifierKey]] = field(default_factory=list)
    person_ids: list[tuple[int, PersonId]] = field(default_factory=list)


@dataclass(slots=True)
class ChunkResult:
    erased: list[Erased] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    already_erased: list[int] = field(default_factory=list)


def erase(tx: StoreTx, targets: Targets, *, by: str, reason: str, at: str) -> ChunkResult:
    """Erase the persons of `targets` in this unit of work (see the module docstring)."""
    result = ChunkResult()
    salt = tx.tombstone_salt()
    persons: dict[PersonId, None] = {}  # in target order, each once
    stored = tx.identifiers([k for _, k in targets.keys])
    missing: list[tuple[int, IdentifierKey]] = []
    for pos, key in targets.keys:
        found = stored.get(key)
        if found is None:
            missing.append((pos, key))
        else:
            persons[found.person_id] = None
    if missing:
        # A key not stored may be one erased before: say so rather than "unknown".
        tombs = tx.tombstones([tombstone_digest(salt, k) for _, k in missing])
        for pos, key in missing:
            gone = tombstone_digest(salt, key) in tombs
            (result.already_erased if gone else result.not_found).append(pos)
    current = _current(tx, [p for _, p in targets.person_ids])
    for pos, pid in targets.person_ids:
        if pid in current:
            persons[current[pid]] = None
        else:
            result.not_found.append(pos)
    if persons:
        changes, result.erased = plan(tx, list(persons), salt, by=by, reason=reason, at=at)
        tx.apply(changes)
    return result


def plan(
    reader: StoreReader,
    persons: Sequence[PersonId],
    salt: bytes,
    *,
    by: str,
    reason: str,
    at: str,
) -> tuple[ChangeSet, list[Erased]]:
    """The ChangeSet erasing these current persons, and what it removes per person."""
    absorbed = reader.absorbed(persons)
    members = reader.members(persons)
    keys = [i.key for ids in members.values() for i in ids]
    owner = {i.key: pid for pid, ids in members.items() for i in ids}
    counts, messages = _counts(reader, keys, owner)
    merged_into = _merged_into(reader, persons, absorbed)
    changes = ChangeSet(at=at)
    report: list[Erased] = []
    for pid in persons:
        own = members.get(pid, [])
        digests = {i.key: tombstone_digest(salt, i.key) for i in own}
        tombs = sorted(digests[i.key] for i in own if not i.is_hub)
        changes.tombstones.extend(TombstoneRow(d, at) for d in tombs)
        changes.redact_audit.update({k: redacted(d) for k, d in digests.items()})
        c = counts.get(pid, Counter())
        erased = Erased(
            person_id=pid,
            merged_ids=sorted(merged_into.get(pid, ())),
            identifiers=len(own),
            links=c["links"],
            records=c["records"],
            activity=c["activity"],
            consent=c["consent"],
            tombstones=tombs,
        )
        report.append(erased)
        changes.audit.append(AuditRow(at, by, ACTION, f"person:{pid}", _detail(erased, reason)))
    gone = [*persons, *sorted(absorbed)]
    changes.delete_identifiers = keys
    changes.delete_reviews_of = keys
    changes.delete_refused_merges_of = keys
    # A destination with a delta staged now may be uploading the person's new rows: they
    # stay, its commit records them sent and the next delta removes them. Elsewhere rows
    # never sent are the person's data for nothing.
    idle = [d.name for d in reader.destinations() if not staging(d)]
    changes.delete_unsent_ledger_of = [(d, p) for d in idle for p in gone]
    changes.delete_persons = gone
    changes.delete_message_prefixes = messages
    return changes, report


def _detail(erased: Erased, reason: str) -> str:
    """The audit detail of one erasure: counts, reason and tombstone digests, never a key."""
    return json.dumps(
        {
            "reason": reason,
            "persons": [erased.person_id, *erased.merged_ids],
            "identifiers": [],
            "before": {
                "identifiers": erased.identifiers,
                "links": erased.links,
                "records": erased.records,
                "activity": erased.activity,
                "consent": erased.consent,
            },
            "after": {},
            "tombstones": erased.tombstones,
        }
    )


def _counts(
    reader: StoreReader, keys: Sequence[IdentifierKey], owner: dict[IdentifierKey, PersonId]
) -> tuple[dict[PersonId, Counter[str]], list[str]]:
    """Per person: its links (each once, even between two erased persons' keys), records,
    activity rows and consent signals; and the message-ID prefixes of the records (a
    record's message ID names its record ID, `ingest.records`)."""
    out: dict[PersonId, Counter[str]] = {}
    messages: list[str] = []
    if not keys:
        return out, messages

    def add(what: str, key: IdentifierKey) -> None:
        out.setdefault(owner[key], Counter())[what] += 1

    for link in reader.links(keys):
        add("links", link.a if link.a in owner else link.b)
    for rec in reader.records(keys):
        add("records", IdentifierKey(rec.identifier))
        messages.append(f"{rec.source}:{rec.record_id}:")
    for act in reader.activity(keys):
        add("activity", IdentifierKey(act.identifier))
    for sig in reader.consent(keys):
        add("consent", IdentifierKey(sig.identifier))
    return out, messages


def _merged_into(
    reader: StoreReader, persons: Sequence[PersonId], absorbed: Iterable[PersonId]
) -> dict[PersonId, set[PersonId]]:
    """Which erased person each absorbed old ID resolves to (the end of its chain)."""
    old = sorted(absorbed)
    current = _current(reader, old)
    wanted = set(persons)
    out: dict[PersonId, set[PersonId]] = {}
    for pid in old:
        end = current.get(pid)
        if end is not None and end in wanted:
            out.setdefault(end, set()).add(pid)
    return out


def _current(reader: StoreReader, person_ids: Sequence[PersonId]) -> dict[PersonId, PersonId]:
    """Each given person ID -> the current person it resolves to (MERGED_INTO followed);
    IDs the store does not hold are absent. One batch read per step along the chains."""
    out: dict[PersonId, PersonId] = {}
    at: dict[PersonId, PersonId] = {p: p for p in dict.fromkeys(person_ids)}
    for _ in range(_MAX_REDIRECTS):
        if not at:
            break
        rows = reader.persons(sorted(set(at.values())))
        following: dict[PersonId, PersonId] = {}
        for given, cur in at.items():
            row = rows.get(cur)
            if row is None:
                continue
            if row.merged_into is None:
                out[given] = cur
            else:
                following[given] = row.merged_into
        at = following
    return out


def observation_keys(obs: Observation) -> Iterable[IdentifierKey]:
    """Every identifier an observation carries: its identifiers, its record's, its owner."""
    for key, _, _ in obs.identifiers:
        yield key
    if obs.record is not None:
        yield obs.record[2]
    if obs.activity_key is not None:
        yield obs.activity_key


def drop_erased(
    reader: StoreReader, observations: Sequence[Observation]
) -> tuple[list[Observation], int]:
    """(the observations carrying no tombstoned identifier, how many were dropped). While
    nothing was ever erased this costs one cheap read per batch, no hashing."""
    kept = list(observations)
    if not kept or not reader.has_tombstones():
        return kept, 0
    salt = reader.tombstone_salt()
    digest = {k: tombstone_digest(salt, k) for o in kept for k in observation_keys(o)}
    tombs = reader.tombstones(list(set(digest.values())))
    if not tombs:
        return kept, 0
    kept = [o for o in kept if not any(digest[k] in tombs for k in observation_keys(o))]
    return kept, len(observations) - len(kept)
