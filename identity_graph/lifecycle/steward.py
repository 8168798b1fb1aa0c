"""A steward's merge and split of persons, as evidence that holds from then on.

Merge writes a steward must-link between one non-hub identifier of each person (exempt
from type limits; it stitches through hubs and never makes a hub) and goes through
`graph.commit` like any evidence, so a cannot-link between them refuses it; the lineage is
MERGED_INTO with the steward's reason. Split turns every stitching link between two of the
named groups into a cannot-link (kind steward, status cannot_link: never stitches, and
keeps the two persons apart in every later merge), then re-clusters the person: the
largest piece keeps the ID, a group not connected by its own links falls into pieces.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from identity_graph.audit import pair_subject
from identity_graph.config import Settings
from identity_graph.errors import ConflictError, InvalidField, NotFoundError
from identity_graph.graph.clustering import stitches
from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
from identity_graph.graph.links import LinkEvidence
from identity_graph.graph.split import Reclustered, recluster
from identity_graph.ids import IdentifierKey, PersonId, ordered_pair
from identity_graph.ingest.observations import utc_now
from identity_graph.lifecycle.audit import audit_row, keys_of, person_subject, side, write_audit
from identity_graph.profiles.build import current_person
from identity_graph.stores.contract import GraphStore, StoreReader
from identity_graph.stores.rows import ChangeSet, LineageRow, LinkRow, StoredIdentifier


def current_id(reader: StoreReader, person_id: str, field_name: str) -> PersonId:
    """Follow MERGED_INTO to the current person; 404 naming the field for an unknown ID."""
    try:
        return current_person(reader, person_id).person_id
    except NotFoundError:
        raise NotFoundError(f"{field_name}: no person with that ID") from None


@dataclass(slots=True)
class Merged:
    person_id: PersonId  # the surviving person
    merged: list[PersonId]  # the persons merged into it
    link: tuple[IdentifierKey, IdentifierKey]  # the must-link written
    lineage: list[LineageRow]
    lifted: int = 0  # cannot-links between the two persons made active again


def _anchor(
    members: Sequence[StoredIdentifier], anchors: frozenset[str]
) -> StoredIdentifier | None:
    """The identifier a steward link is drawn from: not a hub, an anchor type first."""
    usable = [i for i in members if not i.is_hub]
    usable.sort(key=lambda i: (i.type not in anchors, i.key))
    return usable[0] if usable else None


def merge_persons(
    store: GraphStore,
    settings: Settings,
    persons: Sequence[str],
    by: str,
    reason: str,
    *,
    lift_cannot_links: bool = False,
) -> Merged:
    """`lift_cannot_links`: the steward overrides the cannot-links between the two persons
    (an earlier split, a rejected pair): they become active links again, with their
    evidence, instead of refusing the merge (how a split made by mistake is undone)."""
    if len(persons) != 2:
        raise InvalidField("persons", "name exactly two person IDs")
    at = utc_now()
    with store.unit_of_work() as tx:
        ids = [current_id(tx, p, f"persons[{i}]") for i, p in enumerate(persons)]
        if ids[0] == ids[1]:
            raise ConflictError("persons: both IDs resolve to the same person")
        members = tx.members(ids)
        ends: list[StoredIdentifier] = []
        for i, pid in enumerate(ids):
            end = _anchor(members.get(pid, []), frozenset(settings.anchor_types))
            if end is None:
                raise ConflictError(
                    f"persons[{i}]: the person holds no identifier that is not a hub"
                )
            ends.append(end)
        lifted: list[LinkRow] = []
        if any({x, y} == set(ids) for x, y in tx.cannot_links(ids)):
            if not lift_cannot_links:
                raise ConflictError(
                    f"persons: a cannot-link keeps persons {ids[0]} and {ids[1]} apart (a "
                    "steward split them or rejected a pair between them); merge with "
                    "lift_cannot_links (CLI --lift-cannot-links) to override it"
                )
            lifted = [
                replace(lk, status="active")
                for lk in tx.person_links(ids, across=True)
                if lk.status == "cannot_link"
            ]
            tx.apply(ChangeSet(at=at, links=lifted))
        before = side(keys_of(tx, ids))
        a, b = ordered_pair(ends[0].key, ends[1].key)
        detail = json.dumps({"by": by, "reason": reason, "action": "person.merge"})
        evidence = Evidence(at=at)
        evidence.links.append(LinkEvidence(a, b, 1.0, "steward", "steward", 1, at, at, detail))
        summary = BatchSummary()
        lineage = commit_changes(
            tx, settings, evidence, summary, authoritative=frozenset({(a, b)}), merge_reason=reason
        )
        if summary.merges != 1:  # rolled back with the unit of work
            raise ConflictError("persons: the merge was refused by the merge rules")
        survivor = current_id(tx, ids[0], "persons[0]")
        merged = [p for p in ids if p != survivor]
        write_audit(
            tx,
            audit_row(
                at,
                by,
                "person.merge",
                person_subject(survivor),
                reason=reason,
                persons=[*ids, survivor],
                identifiers=[a, b, *(k for lk in lifted for k in lk.pair)],
                before=before,
                after={
                    **side(keys_of(tx, [survivor])),
                    "lifted_cannot_links": [pair_subject(lk.a, lk.b) for lk in lifted],
                },
            ),
        )
    return Merged(survivor, merged, (a, b), lineage, len(lifted))


@dataclass(slots=True)
class SplitGroup:
    keys: int  # identifiers in the group (named, plus the unnamed ones for the first)
    persons: list[PersonId]  # where they are now: more than one if it fell into pieces


@dataclass(slots=True)
class Split:
    person_id: PersonId
    cannot_links: int
    groups: list[SplitGroup]
    persons: Reclustered = field(default_factory=Reclustered)


def split_person(
    store: GraphStore,
    settings: Settings,
    person_id: str,
    groups: Sequence[Sequence[str]],
    by: str,
    reason: str,
) -> Split:
    if len(groups) < 2:
        raise InvalidField("groups", "name at least two groups")
    at = utc_now()
    with store.unit_of_work() as tx:
        pid = current_id(tx, person_id, "person_id")
        members = tx.members([pid]).get(pid, [])
        mine = {i.key: i for i in members}
        group_of: dict[IdentifierKey, int] = {}
        for gi, group in enumerate(groups):
            if not group:
                raise InvalidField(f"groups[{gi}]", "a group needs at least one identifier")
            for ki, raw in enumerate(group):
                key = IdentifierKey(raw)
                if key not in mine:
                    raise InvalidField(f"groups[{gi}][{ki}]", "not an identifier of this person")
                if key in group_of:
                    raise InvalidField(f"groups[{gi}][{ki}]", "named more than once")
                group_of[key] = gi
        for key in mine:
            group_of.setdefault(key, 0)  # not named: the first group
        before = side({pid: list(mine)})
        detail = json.dumps({"by": by, "reason": reason, "action": "person.split"})
        cut = [
            replace(
                lk,
                sources=sorted({*lk.sources, "steward"}),
                kind="steward",
                status="cannot_link",
                count=lk.count + 1,  # the steward's own evidence: it outlives the source's
                evidence=detail,
                last_seen=max(lk.last_seen, at),
            )
            for lk in tx.person_links([pid])
            if group_of.get(lk.a) != group_of.get(lk.b)
            and stitches(
                mine[lk.a].is_hub,
                mine[lk.b].is_hub,
                lk.weight,
                lk.status,
                lk.kind,
                settings.merge_threshold,
            )
        ]
        tx.apply(ChangeSet(at=at, links=cut, touched_persons={pid}))
        result = recluster(tx, settings, [pid], at, reason)
        now = tx.identifiers(list(mine))
        after: dict[PersonId, list[IdentifierKey]] = {}
        for key, state in now.items():
            after.setdefault(state.person_id, []).append(key)
        placed: list[list[PersonId]] = [[] for _ in groups]
        sizes = [0 for _ in groups]
        for key, gi in group_of.items():
            sizes[gi] += 1
            p = now[key].person_id
            if p not in placed[gi]:
                placed[gi].append(p)
        after_ids = [pid, *(c[0] for c in result.created)]
        write_audit(
            tx,
            audit_row(
                at,
                by,
                "person.split",
                person_subject(pid),
                reason=reason,
                persons=after_ids,
                identifiers=[k for lk in cut for k in (lk.a, lk.b)],
                before=before,
                after=side(after),
            ),
        )
    return Split(
        pid,
        len(cut),
        [SplitGroup(sizes[i], sorted(placed[i])) for i in range(len(groups))],
        result,
    )
