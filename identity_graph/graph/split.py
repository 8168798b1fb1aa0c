"""Re-cluster one person over the links that still stitch (a new hub, later: a steward's
split or an erasure): the largest piece keeps the ID, the others get new IDs with lineage."""

from __future__ import annotations

from identity_graph.config import Settings
from identity_graph.graph.clustering import new_person_id, split_components
from identity_graph.ids import PersonId
from identity_graph.stores.contract import StoreTx
from identity_graph.stores.rows import ChangeSet, LineageRow, Person


def split_person(tx: StoreTx, settings: Settings, person_id: PersonId, at: str, reason: str) -> int:
    """Re-cluster one person; the largest piece keeps the ID, others get new IDs with lineage.
    Returns how many new persons were created."""
    members = tx.members([person_id]).get(person_id, [])
    links = tx.person_links([person_id])
    pieces = split_components(
        ((i.key, i.is_hub) for i in members),
        ((lk.a, lk.b, lk.weight, lk.status) for lk in links),
        settings.merge_threshold,
    )
    if len(pieces) <= 1:
        return 0
    changes = ChangeSet(at=at)
    for piece in pieces[1:]:
        pid = new_person_id()
        changes.persons.append(Person(pid, at, at))
        changes.lineage.append(LineageRow(pid, person_id, "SPLIT_FROM", at, reason))
        for key in piece:
            changes.assignments[key] = pid
    changes.touched_persons.add(person_id)
    tx.apply(changes)
    return len(pieces) - 1
