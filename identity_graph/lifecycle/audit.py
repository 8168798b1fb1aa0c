"""Audit rows of lifecycle actions, in the shape every steward action shares:
`{"reason", "persons", "identifiers", "before", "after"}`. `before`/`after` hold identifier
keys and person IDs only, never attributes or values, capped at `MAX_KEYS` keys per side
(`"truncated": n` counts those left out)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.stores.contract import StoreReader, StoreTx
from identity_graph.stores.rows import AuditRow, ChangeSet

MAX_KEYS = 1000


def person_subject(person_id: str) -> str:
    return f"person:{person_id}"


def pair_subject(a: str, b: str) -> str:
    lo, hi = sorted((a, b))
    return f"{lo} <-> {hi}"


def side(persons: Mapping[PersonId, Sequence[IdentifierKey]], **extra: Any) -> dict[str, Any]:
    """One side (before or after): person -> keys, capped at MAX_KEYS keys in all."""
    budget = MAX_KEYS
    shown: dict[str, list[str]] = {}
    left_out = 0
    for pid in sorted(persons):
        keys = sorted(persons[pid])
        take = keys[: max(budget, 0)]
        budget -= len(take)
        left_out += len(keys) - len(take)
        shown[pid] = list(take)
    out: dict[str, Any] = {"persons": shown, **extra}
    if left_out:
        out["truncated"] = left_out
    return out


def keys_of(
    reader: StoreReader, person_ids: Iterable[PersonId]
) -> dict[PersonId, list[IdentifierKey]]:
    """Each person's keys now (persons without identifiers map to [])."""
    ids = sorted(set(person_ids))
    members = reader.members(ids) if ids else {}
    return {pid: [i.key for i in members.get(pid, [])] for pid in ids}


def write_audit(tx: StoreTx, row: AuditRow) -> None:
    tx.apply(ChangeSet(at=row.at, audit=[row]))


def audit_row(
    at: str,
    actor: str,
    action: str,
    subject: str,
    *,
    reason: str | None,
    persons: Iterable[str],
    identifiers: Iterable[str],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> AuditRow:
    ids = list(dict.fromkeys(identifiers))
    detail: dict[str, Any] = {
        "reason": reason,
        "persons": sorted(set(persons)),
        "identifiers": ids[:MAX_KEYS],
        "before": dict(before),
        "after": dict(after),
    }
    if len(ids) > MAX_KEYS:
        detail["identifiers_truncated"] = len(ids) - MAX_KEYS
    return AuditRow(at, actor, action, subject, json.dumps(detail, ensure_ascii=False))
