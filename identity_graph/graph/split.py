"""Re-cluster persons over the links that still stitch (a new hub, removed evidence, a
steward's split): the largest piece keeps the ID, the others get new IDs with SPLIT_FROM
lineage. Identifiers carry their activity, consent and records with them (they hang off
the identifier in both stores)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from identity_graph.config import Settings
from identity_graph.graph.clustering import new_person_id, split_components
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.stores.contract import StoreTx
from identity_graph.stores.rows import ChangeSet, LineageRow, Person


@dataclass(slots=True)
class Reclustered:
    """What re-clustering did: persons that kept their ID (with identifiers left), new
    persons split from them (new ID, the ID it split from), persons left without any
    identifier (their ID keeps its lineage: "deleted" without erasure)."""

    kept: list[PersonId] = field(default_factory=list)
    created: list[tuple[PersonId, PersonId]] = field(default_factory=list)
    deleted: list[PersonId] = field(default_factory=list)
    # identifier key -> its person after the split (only those that moved)
    moved: dict[IdentifierKey, PersonId] = field(default_factory=dict)

    def add(self, other: Reclustered) -> None:
        self.kept.extend(other.kept)
        self.created.extend(other.created)
        self.deleted.extend(other.deleted)
        self.moved.update(other.moved)


def recluster(
    tx: StoreTx, settings: Settings, person_ids: Iterable[PersonId], at: str, reason: str
) -> Reclustered:
    """Re-cluster each of these persons (current ones; unknown IDs are ignored) in one
    ChangeSet: the largest piece keeps the ID, every other piece becomes a new person with
    SPLIT_FROM lineage and `reason`."""
    ids = sorted(set(person_ids))
    out = Reclustered()
    if not ids:
        return out
    members = tx.members(ids)
    links_of: dict[PersonId, list[tuple[IdentifierKey, IdentifierKey, float, str, str]]] = {}
    owner = {i.key: pid for pid, items in members.items() for i in items}
    for lk in tx.person_links(ids):
        pid = owner.get(lk.a)
        if pid is not None:
            links_of.setdefault(pid, []).append((lk.a, lk.b, lk.weight, lk.status, lk.kind))
    changes = ChangeSet(at=at)
    persons = tx.persons(ids)
    for pid in ids:
        items = members.get(pid)
        if not items:
            if pid in persons and persons[pid].merged_into is None:
                out.deleted.append(pid)
            continue
        if len(items) == 1:  # one identifier: one piece, nothing to compute
            out.kept.append(pid)
            continue
        pieces = split_components(
            ((i.key, i.is_hub) for i in items), links_of.get(pid, []), settings.merge_threshold
        )
        out.kept.append(pid)
        if len(pieces) <= 1:
            continue
        for piece in pieces[1:]:
            new = new_person_id()
            changes.persons.append(Person(new, at, at))
            changes.lineage.append(LineageRow(new, pid, "SPLIT_FROM", at, reason))
            out.created.append((new, pid))
            for key in piece:
                changes.assignments[key] = new
                out.moved[key] = new
        changes.touched_persons.add(pid)
    if changes.persons:
        tx.apply(changes)
    return out


def split_person(tx: StoreTx, settings: Settings, person_id: PersonId, at: str, reason: str) -> int:
    """Re-cluster one person; returns how many new persons were created."""
    return len(recluster(tx, settings, [person_id], at, reason).created)
