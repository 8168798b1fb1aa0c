"""Commit one batch of evidence: decide merges, write the ChangeSet, split new hubs' persons.

Every writer of evidence goes through `commit_changes`: record and event ingest, steward
decisions and probabilistic links, so merge rules hold the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from identity_graph.config import Settings
from identity_graph.graph.clustering import plan_merges
from identity_graph.graph.split import split_person
from identity_graph.ids import split_key
from identity_graph.ingest.observations import utc_now
from identity_graph.stores.contract import StoreTx
from identity_graph.stores.rows import (
    ChangeSet,
    HubRow,
    LineageRow,
    LinkRow,
    PersonRow,
    RefusedMergeRow,
)

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
