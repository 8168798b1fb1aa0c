"""Durable person IDs: any ID once given out resolves, through the store's lineage.

- current: itself;
- merged: the current end of its MERGED_INTO chain (`path` lists the steps);
- split: it kept its ID on the largest piece, so it resolves to itself, and `split_into`
  lists the current IDs of the pieces that got new IDs (a piece lists `split_from`);
- deleted without erasure (every identifier removed, the person row kept): `deleted`,
  which the API answers with 410 and the lineage;
- erased: nothing of it remains, so it is unknown (NotFoundError, a 404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from identity_graph.errors import NotFoundError
from identity_graph.ids import PersonId
from identity_graph.stores.contract import StoreReader
from identity_graph.stores.profile_rows import ProfileRows
from identity_graph.stores.rows import LineageRow, Person, when
from identity_graph.views import LineageStep

# Chains this long do not happen (every merge moves the loser's identifiers to the end of
# the chain); the bound only stops a corrupt store from looping.
MAX_REDIRECTS = 64
MERGED_INTO: Final[Literal["MERGED_INTO"]] = "MERGED_INTO"
SPLIT_FROM: Final[Literal["SPLIT_FROM"]] = "SPLIT_FROM"


@dataclass(slots=True)
class Resolution:
    """Where a person ID leads: the stored `person` (current, or deleted) and how."""

    person: Person
    path: list[LineageStep] = field(default_factory=list)
    split_from: PersonId | None = None
    split_into: list[PersonId] = field(default_factory=list)


def step(row: LineageRow) -> LineageStep:
    return LineageStep.model_validate(
        {
            "from_id": row.from_id,
            "to_id": row.to_id,
            "kind": row.kind,
            "at": when(row.at),
            "reason": row.reason or None,
        }
    )


def _merge_step(edges: list[LineageRow], info: Person, target: PersonId) -> LineageStep:
    """The MERGED_INTO edge of `info` among `edges` (the newest, should a copy hold several;
    `edges` in the store's lineage order); a store written before lineage was kept for
    every merge has none: the row's own time then."""
    mine = [
        e
        for e in edges
        if e.kind == MERGED_INTO and e.from_id == info.person_id and e.to_id == target
    ]
    if mine:
        return step(mine[-1])
    return LineageStep(
        from_id=info.person_id, to_id=target, kind=MERGED_INTO, at=when(info.updated_at)
    )


def _splits(edges: list[LineageRow], current: PersonId) -> tuple[PersonId | None, list[PersonId]]:
    """What `current` split from (the newest), and its pieces, in lineage order."""
    split_from = [e.to_id for e in edges if e.kind == SPLIT_FROM and e.from_id == current]
    pieces = [e.from_id for e in edges if e.kind == SPLIT_FROM and e.to_id == current]
    return (split_from[-1] if split_from else None), pieces


def current_ids(r: StoreReader, person_ids: list[PersonId]) -> list[PersonId]:
    """Each ID's current person (merge chains followed, in batches), unknown ones dropped,
    in order, each once."""
    out: dict[PersonId, PersonId] = {pid: pid for pid in person_ids}
    pending = set(person_ids)
    for _ in range(MAX_REDIRECTS):
        if not pending:
            break
        rows = r.persons(sorted(pending))
        nxt: set[PersonId] = set()
        for origin, now in list(out.items()):
            if now not in pending:
                continue  # resolved already
            info = rows.get(now)
            if info is None:
                del out[origin]
            elif info.merged_into is not None:
                out[origin] = info.merged_into
                nxt.add(info.merged_into)
        pending = nxt
    return list(dict.fromkeys(out[p] for p in person_ids if p in out))


def resolve(r: StoreReader, person_id: str) -> Resolution:
    """Follow a person ID to the person it stands for now (see the module's doc)."""
    current = PersonId(person_id)
    path: list[LineageStep] = []
    for _ in range(MAX_REDIRECTS):
        info = r.persons([current]).get(current)
        if info is None:
            # Unknown, or erased (erasure leaves nothing, not even its lineage).
            raise NotFoundError(f"no person with ID {person_id!r}")
        if info.merged_into is None:
            break
        path.append(_merge_step(r.lineage([info.person_id]), info, info.merged_into))
        current = info.merged_into
    else:
        raise NotFoundError(f"person ID {person_id!r}: lineage too deep to follow")
    split_from, pieces = _splits(r.lineage([current]), current)
    return Resolution(
        person=info,
        path=path,
        split_from=split_from,
        split_into=[p for p in current_ids(r, pieces) if p != current],
    )


def resolution_of(rows: ProfileRows) -> Resolution:
    """`resolve`, from the rows one query read (`ProfileRows`, complete)."""
    *steps, info = rows.chain
    path = [_merge_step(rows.merges, p, p.merged_into) for p in steps if p.merged_into]
    current = info.person_id
    split_from, pieces = _splits(rows.lineage, current)
    now = dict.fromkeys(rows.pieces[p] for p in pieces if p in rows.pieces)
    return Resolution(
        person=info,
        path=path,
        split_from=split_from,
        split_into=[p for p in now if p != current],
    )
