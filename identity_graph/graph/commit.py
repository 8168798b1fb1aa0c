"""Commit one batch of evidence: decide merges, fold links, write the ChangeSet, split the
persons of new hubs.

Every writer of evidence goes through `commit_changes`: record and event ingest, steward
decisions and probabilistic links, so merge rules hold the same way for all of them. The
store receives final rows only: links folded with their stored values (`graph.links`),
merge chains resolved (`resolve_merges`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from identity_graph.config import Settings
from identity_graph.errors import IdentityGraphError
from identity_graph.graph.clustering import plan_merges
from identity_graph.graph.links import LinkEvidence, fold_links
from identity_graph.graph.split import split_person
from identity_graph.ids import IdentifierKey, Pair, PersonId, ordered_pair, split_key
from identity_graph.ingest.observations import utc_now
from identity_graph.stores.contract import StoreTx
from identity_graph.stores.rows import (
    ActivityRow,
    AuditRow,
    ChangeSet,
    ConsentRow,
    HubRow,
    IdentifierRow,
    LineageRow,
    MergeRow,
    NewIdentifierRow,
    Person,
    ProvenanceRow,
    RecordRow,
    RefusedMergeRow,
    ReviewRow,
)

DETERMINISTIC_WEIGHT = 1.0


@dataclass(slots=True)
class Evidence:
    """What one batch observed or decided, before the core turns it into a ChangeSet."""

    message_ids: list[tuple[str, str]] = field(default_factory=list)  # (id, at)
    identifiers: list[IdentifierRow] = field(default_factory=list)
    links: list[LinkEvidence] = field(default_factory=list)
    activity: list[ActivityRow] = field(default_factory=list)
    records: list[RecordRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)
    reviews: list[ReviewRow] = field(default_factory=list)  # replaced by (a, b)
    audit: list[AuditRow] = field(default_factory=list)
    at: str = ""
    # The ingest batch's provenance (what it wrote, by source): "identifier" rows name every
    # key of the batch, and only those the batch creates are kept.
    provenance: list[ProvenanceRow] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.message_ids
            or self.identifiers
            or self.links
            or self.activity
            or self.records
            or self.consent
            or self.reviews
            or self.audit
        )


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
    duplicates_merged: int = 0  # matched records merged past a type limit
    hubs_flagged: int = 0
    splits: int = 0
    placeholders_dropped: int = 0
    invalid_skipped: int = 0
    erased_dropped: int = 0  # observations carrying an erased (tombstoned) identifier
    hub_keys: list[str] = field(default_factory=list)
    batch_id: str = ""  # the ingest batch (provenance) its evidence was written under

    def add(self, other: BatchSummary) -> None:
        for name in self.__slots__:
            if name == "hub_keys":
                self.hub_keys.extend(other.hub_keys)
            elif name == "batch_id":
                self.batch_id = self.batch_id or other.batch_id
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


def resolve_merges(merges: Sequence[tuple[PersonId, PersonId]]) -> list[MergeRow]:
    """(loser, winner) pairs in the order they happened -> rows whose `target` is the end of
    each loser's merge chain in this batch, so a store can apply them in any order."""
    winner_of = dict(merges)

    def end(pid: PersonId) -> PersonId:
        seen = {pid}
        while pid in winner_of:
            pid = winner_of[pid]
            if pid in seen:  # cannot happen (union-find); never loop forever
                raise IdentityGraphError("merge cycle in one batch")
            seen.add(pid)
        return pid

    return [MergeRow(lo, w, end(w)) for lo, w in merges]


def commit_changes(
    tx: StoreTx,
    settings: Settings,
    evidence: Evidence,
    summary: BatchSummary,
    *,
    authoritative: frozenset[Pair] = frozenset(),
    duplicates: frozenset[Pair] = frozenset(),
    merge_reason: str = "linked identifiers",
) -> list[LineageRow]:
    """Decide merges for the batch's links, apply everything, split persons of new hubs.

    `authoritative` links (a steward's decision) are exempt from per-type limits and hub
    checks; `duplicates` (matched records of one type) from that type's limit.
    `merge_reason` is the MERGED_INTO lineage's reason. Returns that lineage.
    """
    at = evidence.at or utc_now()
    type_of = {r.key: r.type for r in evidence.identifiers}
    for link in evidence.links:
        for key in (link.a, link.b):
            if key not in type_of:
                type_of[key] = split_key(key)[0]
    states = tx.identifiers(list(type_of))
    # Only a pair of two stored identifiers can have a stored link.
    pairs = [
        p
        for p in dict.fromkeys((lk.a, lk.b) for lk in evidence.links)
        if p[0] in states and p[1] in states
    ]
    stored = tx.pair_links(pairs) if pairs else {}
    links = fold_links(evidence.links, stored)
    # A steward's must-link overrides a rule's earlier refusal of the pair (not a
    # steward's own cannot-link): the link stitches from now on.
    for pair in authoritative:
        if pair in links and links[pair].status == "refused":
            links[pair].status = "active"

    def refused_pairs(candidates: Sequence[Pair]) -> set[Pair]:
        return {
            p
            for p in candidates
            if p in stored
            and stored[p].status != "active"
            and not (p in authoritative and stored[p].status == "refused")
        }

    released: dict[IdentifierKey, bool] = {}

    def never_hub(key: IdentifierKey) -> bool:
        # Read only when the hub rule would flag a key: rare, so one read per key is fine.
        if key not in released:
            state = tx.hub_states([key]).get(key)
            released[key] = state is not None and state.state == "released"
        return released[key]

    plan = plan_merges(
        settings,
        _strong_pairs(evidence.links, settings.merge_threshold),
        type_of,
        states,
        tx.type_counts,
        refused_pairs,
        cannot_link=tx.cannot_links,
        authoritative=authoritative,
        duplicates=duplicates if settings.merge_duplicate_records else frozenset(),
        never_hub=never_hub,
    )
    for r in plan.refused:
        links[ordered_pair(r.a, r.b)].status = "refused"
    changes = ChangeSet(
        at=at,
        message_ids=evidence.message_ids,
        persons=[Person(p, at, at) for p in plan.new_persons],
        merges=resolve_merges(plan.merges),
        new_identifiers=[
            NewIdentifierRow(
                r.key, r.type, r.value, r.first_seen, r.last_seen, plan.assignments[r.key]
            )
            for r in evidence.identifiers
            if r.key not in states
        ],
        seen_identifiers=[r for r in evidence.identifiers if r.key in states],
        links=list(links.values()),
        activity=evidence.activity,
        records=evidence.records,
        consent=evidence.consent,
        refused_merges=[
            RefusedMergeRow(r.a, r.b, r.person_a, r.person_b, r.rule, r.reason, at)
            for r in plan.refused
        ],
        lineage=[
            LineageRow(loser, winner, "MERGED_INTO", at, merge_reason)
            for loser, winner in plan.merges
        ],
        hubs=[HubRow(k, reason) for k, reason in plan.hubs.items()],
        joined=plan.joined,
        touched_persons={s.person_id for s in states.values()} | {w for _, w in plan.merges},
        reviews=evidence.reviews,
        audit=evidence.audit,
        provenance=[
            p for p in evidence.provenance if p.kind != "identifier" or p.key not in states
        ],
    )
    tx.apply(changes)
    summary.splits += _split_hub_persons(tx, settings, list(plan.hubs), at)
    summary.identifiers_new += len(plan.assignments)
    summary.link_evidence += len(evidence.links)
    summary.activities += len(evidence.activity)
    summary.records += len(evidence.records)
    summary.persons_created += len(plan.new_persons)
    summary.merges += len(plan.merges)
    summary.merges_refused += len(plan.refused)
    summary.duplicates_merged += len(plan.duplicates)
    summary.hubs_flagged += len(plan.hubs)
    summary.hub_keys.extend(plan.hubs)
    return changes.lineage


def _strong_pairs(links: Iterable[LinkEvidence], threshold: float) -> list[Pair]:
    return list(dict.fromkeys((lk.a, lk.b) for lk in links if lk.weight >= threshold))


def _split_hub_persons(tx: StoreTx, settings: Settings, hubs: list[IdentifierKey], at: str) -> int:
    """A new hub no longer stitches: re-cluster its person without its links."""
    splits = 0
    done: set[PersonId] = set()
    states = tx.identifiers(hubs) if hubs else {}
    for hub in hubs:
        state = states.get(hub)
        if state is None or state.person_id in done:
            continue
        done.add(state.person_id)
        # The reason names the hub's type, never its key: lineage is shown to every reader
        # of the person and outlives an erasure of the hub's owner.
        reason = f"a hub {state.type} no longer stitches"
        splits += split_person(tx, settings, state.person_id, at, reason)
    return splits
