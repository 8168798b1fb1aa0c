"""Copy a whole identity graph from one store to another (`identity-graph migrate`).

Generic over the `GraphStore` protocol: every kind of row (`EXPORT_KINDS`) is streamed from
the source with `scan(kind)` (one read snapshot per kind) and written to the target with
`StoreTx.import_rows`, in batches, one transaction per batch, in an order that writes
persons before their
identifiers and identifiers before what hangs off them. Imports are upserts by each row's
identity, so a re-run (after a failure, or to catch up) adds no duplicates. At the end the
rows of every kind are counted on both sides; any difference is a `MigrationError` naming
the kinds, so a copy that is not whole never passes for one.

The source should not be written to during the copy (stop ingestion first), and the target
should be empty or an earlier copy of the same source: rows are matched by identity, not
merged with unrelated data (extra rows in the target fail the count check).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from identity_graph.errors import IdentityGraphError
from identity_graph.ids import IdentifierKey
from identity_graph.stores.contract import EXPORT_KINDS, GraphStore
from identity_graph.stores.rows import ChangeSet

DEFAULT_BATCH_SIZE = 5_000

#: on_progress(kind, rows copied so far of that kind, rows of that kind in the source)
Progress = Callable[[str, int, int], None]


class MigrationError(IdentityGraphError):
    """The copy is incomplete: `differences` maps kind -> (source rows, target rows)."""

    def __init__(self, message: str, differences: dict[str, tuple[int, int]]) -> None:
        super().__init__(message)
        self.differences = differences


@dataclass
class MigrationReport:
    source_counts: dict[str, int] = field(default_factory=dict)
    target_counts: dict[str, int] = field(default_factory=dict)
    copied: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    def differences(self) -> dict[str, tuple[int, int]]:
        return {
            kind: (self.source_counts.get(kind, 0), self.target_counts.get(kind, 0))
            for kind in EXPORT_KINDS
            if self.source_counts.get(kind, 0) != self.target_counts.get(kind, 0)
        }


def _batches(rows: Iterable[dict[str, object]], size: int) -> Iterator[list[dict[str, object]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


# How many of the target's identifiers to look up in the source before writing anything.
_TARGET_SAMPLE = 1_000


def _check_target(source: GraphStore, target: GraphStore) -> None:
    """Refuse, before writing anything, a target that holds a different graph: the target
    must be empty or an earlier copy of the source (a re-run), else rows would mix."""
    with target.reader() as t:
        keys = [
            IdentifierKey(str(row["key"])) for row in islice(t.scan("identifiers"), _TARGET_SAMPLE)
        ]
    with source.reader() as s:
        known = s.identifiers(keys)
    missing = next((key for key in keys if key not in known), None)
    if missing is not None:
        raise MigrationError(
            "the target already holds identifiers the source does not have (e.g. "
            f"{missing.split(':', 1)[0]}:…): migrate into an empty store, or into an earlier "
            "copy of the same source",
            {},
        )


def _copy_tombstone_salt(source: GraphStore, target: GraphStore) -> None:
    """Tombstones are salted hashes of keys that no longer exist: they cannot be re-hashed
    under the target's salt, so the target takes the source's. A target holding tombstones
    of its own under another salt is refused (they would stop matching)."""
    with source.reader() as s:
        salt = s.tombstone_salt()
    with target.unit_of_work() as tx:
        if tx.tombstone_salt() == salt:
            return
        if tx.has_tombstones():
            raise MigrationError(
                "the target holds tombstones made under another salt: migrate into an empty "
                "store, or into an earlier copy of the same source",
                {},
            )
        tx.apply(ChangeSet(tombstone_salt=salt))


def _counts(store: GraphStore) -> dict[str, int]:
    with store.reader() as r:
        return r.row_counts()


def migrate(
    source: GraphStore,
    target: GraphStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    kinds: Iterable[str] = EXPORT_KINDS,
    on_progress: Progress | None = None,
) -> MigrationReport:
    """Copy every row of `kinds` from `source` into `target`, then verify the counts.

    Raises MigrationError if, for any kind, the two stores hold a different number of rows
    after the copy.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    wanted = list(kinds)
    unknown = [k for k in wanted if k not in EXPORT_KINDS]
    if unknown:
        raise ValueError(f"unknown kinds: {', '.join(unknown)}")
    _check_target(source, target)
    if "tombstones" in wanted:
        _copy_tombstone_salt(source, target)
    report = MigrationReport(source_counts=_counts(source))
    for kind in wanted:
        total = report.source_counts[kind]
        done = 0
        if on_progress is not None:
            on_progress(kind, 0, total)
        with source.reader() as r:
            for batch in _batches(r.scan(kind), batch_size):
                with target.unit_of_work() as tx:
                    tx.import_rows(kind, batch)
                done += len(batch)
                report.batches += 1
                if on_progress is not None:
                    on_progress(kind, done, total)
        report.copied[kind] = done
    report.target_counts = _counts(target)
    report.source_counts = _counts(source)  # unchanged unless the source was written to
    differences = {k: v for k, v in report.differences().items() if k in wanted}
    if differences:
        detail = ", ".join(f"{k}: source {s:,}, target {t:,}" for k, (s, t) in differences.items())
        raise MigrationError(f"row counts differ after the copy ({detail})", differences)
    return report
