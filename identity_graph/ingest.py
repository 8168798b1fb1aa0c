"""Ingest: observations -> one ChangeSet per batch -> one store transaction.

Inside the transaction: drop replayed message IDs, aggregate repeated evidence (one link
row per pair and source, `count` raised), decide merges (`clustering.plan_merges`), apply,
then re-cluster persons whose hub identifiers were just flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from identity_graph.changes import (
    ActivityRow,
    ChangeSet,
    HubRow,
    IdentifierRow,
    LineageRow,
    LinkRow,
    PersonRow,
    RecordRow,
    RefusedMergeRow,
)
from identity_graph.clustering import new_person_id, plan_merges, split_components
from identity_graph.config import Settings
from identity_graph.model import split_key
from identity_graph.observations import Observation, utc_now
from identity_graph.stores.base import GraphStore, StoreTx

DETERMINISTIC_WEIGHT = 1.0


@dataclass(slots=True)
class BatchSummary:
    items: int = 0
    replayed: int = 0
    identifiers_new: int = 0
    link_evidence: int = 0
    activities: int = 0
    records: int = 0
    persons_created: int = 0
    merges: int = 0
    merges_refused: int = 0
    hubs_flagged: int = 0
    splits: int = 0
    placeholders_dropped: int = 0
    invalid_skipped: int = 0
    hub_keys: list[str] = field(default_factory=list)

    def add(self, other: BatchSummary) -> None:
        for name in self.__slots__:  # type: ignore[attr-defined]
            if name == "hub_keys":
                self.hub_keys.extend(other.hub_keys)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


def ingest_batch(
    store: GraphStore, settings: Settings, observations: Sequence[Observation]
) -> BatchSummary:
    """Apply one batch in one transaction: all of it, or (on any exception) none of it."""
    summary = BatchSummary(items=len(observations))
    with store.unit_of_work() as tx:
        fresh = _drop_replays(tx, observations)
        summary.replayed = len(observations) - len(fresh)
        summary.placeholders_dropped = sum(o.placeholders for o in fresh)
        if not fresh:
            return summary
        changes = _aggregate(fresh)
        commit_changes(tx, settings, changes, summary)
    return summary


def commit_changes(
    tx: StoreTx,
    settings: Settings,
    changes: ChangeSet,
    summary: BatchSummary,
    *,
    authoritative: frozenset[tuple[str, str]] = frozenset(),
) -> None:
    """Decide merges for the batch's links, apply everything, split persons of new hubs.

    `authoritative` links (a steward's decision) are exempt from per-type limits.
    """
    changes.at = changes.at or utc_now()
    type_of = {r.key: r.type for r in changes.identifiers}
    for link in changes.links:
        for key in (link.a, link.b):
            if key not in type_of:
                type_of[key] = split_key(key)[0]
    states = tx.identifier_states(list(type_of))
    strong = _strong_pairs(changes.links, settings.merge_threshold)

    def refused_pairs(pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        return {p for p, s in tx.link_statuses(pairs).items() if s != "active"}

    plan = plan_merges(
        settings,
        strong,
        type_of,
        states,
        tx.person_type_counts,
        refused_pairs,
        cannot_link=tx.cannot_links,
        authoritative=authoritative,
    )
    for row in changes.identifiers:
        if row.key not in states:
            row.person_id = plan.assignments[row.key]
    changes.new_persons = [PersonRow(p, changes.at, changes.at) for p in plan.new_persons]
    changes.merges = plan.merges
    changes.lineage = [
        LineageRow(loser, winner, "MERGED_INTO", changes.at, "linked identifiers")
        for loser, winner in plan.merges
    ]
    changes.refused_links = [(r.a, r.b) if r.a < r.b else (r.b, r.a) for r in plan.refused]
    changes.refused_merges = [
        RefusedMergeRow(r.a, r.b, r.person_a, r.person_b, r.rule, r.reason, changes.at)
        for r in plan.refused
    ]
    changes.hubs = [HubRow(k, reason) for k, reason in plan.hubs.items()]
    changes.joined = plan.joined
    changes.touched_persons = {s.person_id for s in states.values()} | {w for _, w in plan.merges}
    tx.apply(changes)
    summary.splits += _split_hub_persons(tx, settings, list(plan.hubs), changes.at)
    summary.identifiers_new += len(plan.assignments)
    summary.link_evidence += len(changes.links)
    summary.activities += len(changes.activity)
    summary.records += len(changes.records)
    summary.persons_created += len(plan.new_persons)
    summary.merges += len(plan.merges)
    summary.merges_refused += len(plan.refused)
    summary.hubs_flagged += len(plan.hubs)
    summary.hub_keys.extend(plan.hubs)


def _drop_replays(tx: StoreTx, observations: Sequence[Observation]) -> list[Observation]:
    seen = tx.seen_messages(list({o.message_id for o in observations}))
    fresh: list[Observation] = []
    for obs in observations:
        if obs.message_id not in seen:
            seen.add(obs.message_id)  # a duplicate within the batch is a replay too
            fresh.append(obs)
    return fresh


def _aggregate(observations: Iterable[Observation]) -> ChangeSet:
    # Most events repeat an identifier set already seen in the batch (one session, many page
    # views): group by set first, so pairs are expanded once per distinct set.
    groups: dict[tuple[str, tuple[tuple[str, str, str], ...]], list[object]] = {}
    activity: dict[tuple[str, str, str, str], ActivityRow] = {}
    records: dict[tuple[str, str], RecordRow] = {}
    message_ids: list[tuple[str, str]] = []
    for obs in observations:
        at = obs.at
        message_ids.append((obs.message_id, at))
        gk = (obs.source, tuple(obs.identifiers))
        group = groups.get(gk)
        if group is None:
            groups[gk] = [1, at, at]
        else:
            group[0] += 1  # type: ignore[operator]
            if at < group[1]:  # type: ignore[operator]
                group[1] = at
            elif at > group[2]:  # type: ignore[operator]
                group[2] = at
        if obs.activity and obs.activity_key is not None:
            for kind, ttype, tid, amount in obs.activity:
                ak = (obs.activity_key, kind, ttype, tid)
                act = activity.get(ak)
                if act is None:
                    activity[ak] = ActivityRow(
                        obs.activity_key, kind, ttype, tid, 1, at, at, amount
                    )
                else:
                    act.count += 1
                    act.amount += amount
                    act.first_at = min(act.first_at, at)
                    act.last_at = max(act.last_at, at)
        if obs.record is not None:
            source, record_id, key, attributes = obs.record
            prev = records.get((source, record_id))
            if prev is None or at >= prev.observed_at:
                records[(source, record_id)] = RecordRow(source, record_id, key, attributes, at)

    identifiers: dict[str, IdentifierRow] = {}
    links: dict[tuple[str, str, str], LinkRow] = {}
    for (source, idents), (count, first, last) in groups.items():  # type: ignore[misc]
        for key, type_, value in idents:
            row = identifiers.get(key)
            if row is None:
                identifiers[key] = IdentifierRow(key, type_, value, first, last)
            else:
                if first < row.first_seen:
                    row.first_seen = first
                if last > row.last_seen:
                    row.last_seen = last
        n = len(idents)
        for i in range(n):
            ki = idents[i][0]
            for j in range(i + 1, n):
                kj = idents[j][0]
                a, b = (ki, kj) if ki < kj else (kj, ki)
                link = links.get((a, b, source))
                if link is None:
                    links[(a, b, source)] = LinkRow(
                        a, b, DETERMINISTIC_WEIGHT, "deterministic", source, count, first, last
                    )
                else:
                    link.count += count
                    if first < link.first_seen:
                        link.first_seen = first
                    if last > link.last_seen:
                        link.last_seen = last
    return ChangeSet(
        message_ids=message_ids,
        identifiers=list(identifiers.values()),
        links=list(links.values()),
        activity=list(activity.values()),
        records=list(records.values()),
    )


def _strong_pairs(links: Iterable[LinkRow], threshold: float) -> list[tuple[str, str]]:
    return list(dict.fromkeys((lk.a, lk.b) for lk in links if lk.weight >= threshold))


def _split_hub_persons(tx: StoreTx, settings: Settings, hubs: list[str], at: str) -> int:
    """A new hub no longer stitches: re-cluster its person without its links."""
    splits = 0
    done: set[str] = set()
    for hub in hubs:
        state = tx.identifier_states([hub]).get(hub)
        if state is None or state.person_id in done:
            continue
        done.add(state.person_id)
        splits += split_person(tx, settings, state.person_id, at, f"hub {hub} no longer stitches")
    return splits


def split_person(tx: StoreTx, settings: Settings, person_id: str, at: str, reason: str) -> int:
    """Re-cluster one person; the largest piece keeps the ID, others get new IDs with lineage.
    Returns how many new persons were created."""
    keys, links = tx.person_graph(person_id)
    pieces = split_components(
        keys, ((lk.a, lk.b, lk.weight, lk.status) for lk in links), settings.merge_threshold
    )
    if len(pieces) <= 1:
        return 0
    changes = ChangeSet(at=at)
    for piece in pieces[1:]:
        pid = new_person_id()
        changes.new_persons.append(PersonRow(pid, at, at))
        changes.lineage.append(LineageRow(pid, person_id, "SPLIT_FROM", at, reason))
        for key in piece:
            changes.assignments[key] = pid
    changes.touched_persons.add(person_id)
    tx.apply(changes)
    return len(pieces) - 1
