"""The destination ledger: what this service has sent to each destination, row by row.

Platforms cannot list an audience's members back, so a delta is exact only if the service
remembers what it sent. One export to a destination is one generation `gen`:

1. `acquire` takes the destination's lease (one export at a time per destination) and a
   generation never staged before;
2. `stage` marks every row of the audience as seen in `gen` (new rows are inserted unsent),
   in chunks, each its own unit of work: a crash here changes nothing that was sent;
3. the caller writes the delta (`pending(side="add")`: seen now, never sent;
   `pending(side="remove")`: sent before, not seen now) or the full audience;
4. `commit`, only once the files are complete: the added rows become sent in `gen`, the
   removed ones are forgotten, the destination's generation becomes `gen`, the lease ends.

An export that fails before `commit` leaves the ledger as it was sent: the next one
stages again under a new generation and finds the same (or newer) differences.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from identity_graph.errors import ConflictError, NotFoundError
from identity_graph.ids import PersonId
from identity_graph.ingest.observations import format_ts, utc_now
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, DestinationRow, LedgerRow

# A lease older than this is taken to be left by a crashed export.
LEASE = timedelta(hours=1)
STAGE_CHUNK = 5_000
PAGE = 5_000


def row_digest(cells: Sequence[str]) -> str:
    """The identity of a row in the ledger: a platform row is its cells, in order."""
    return hashlib.sha256("\x1f".join(cells).encode("utf-8")).hexdigest()


def destination(store: GraphStore, name: str) -> DestinationRow:
    with store.reader() as r:
        found = r.destinations([name])
    if not found:
        raise NotFoundError(f"no destination named {name!r}")
    return found[0]


def _lease_parts(dest: DestinationRow) -> tuple[int, str]:
    """(generation last staged, holder token or "") of a destination's lease text."""
    if not dest.lease:
        return 0, ""
    gen, _, token = dest.lease.partition(":")
    return int(gen), token


def staging(dest: DestinationRow) -> bool:
    """Whether an export of the destination is staged and not committed or released: its
    rows may be on their way to the platform (erasure keeps them, see lifecycle.erase)."""
    return _lease_parts(dest)[1] != ""


def acquire(store: GraphStore, name: str) -> tuple[DestinationRow, int, str]:
    """(destination, generation to stage, lease) with the lease taken; ConflictError while
    another export holds it.

    The lease text is `GEN:TOKEN`, and stays `GEN:` once released: a generation that was
    staged and then abandoned is never used again, since its rows are marked seen in it."""
    now = datetime.now(UTC)
    with store.unit_of_work() as tx:
        found = tx.destinations([name])
        if not found:
            raise NotFoundError(f"no destination named {name!r}")
        dest = found[0]
        staged, holder = _lease_parts(dest)
        held_since = datetime.fromisoformat(dest.lease_at) if dest.lease_at else None
        if holder and held_since is not None and now - held_since < LEASE:
            raise ConflictError(
                f"destination {name!r} is being exported since {dest.lease_at}; "
                "try again when that export ends"
            )
        gen = max(dest.gen, staged) + 1
        lease = f"{gen}:{uuid.uuid4().hex}"
        dest.lease, dest.lease_at = lease, format_ts(now)
        tx.apply(ChangeSet(at=dest.lease_at, destinations=[dest]))
    return dest, gen, lease


def release(store: GraphStore, name: str, lease: str) -> None:
    """End a lease without committing (the export failed or was abandoned)."""
    with store.unit_of_work() as tx:
        found = tx.destinations([name])
        if found and found[0].lease == lease:
            dest = found[0]
            dest.lease, dest.lease_at = lease.partition(":")[0] + ":", None
            tx.apply(ChangeSet(at=utc_now(), destinations=[dest]))


def holds(dest: DestinationRow, gen: int, lease: str) -> bool:
    return dest.lease == lease and lease.startswith(f"{gen}:") and _lease_parts(dest)[1] != ""


def stage(store: GraphStore, name: str, gen: int, rows: Iterable[tuple[str, Sequence[str]]]) -> int:
    """Mark (person ID, cells) rows as seen in `gen`; returns how many distinct rows."""
    chunk: dict[str, LedgerRow] = {}
    total = 0

    def flush() -> None:
        nonlocal total
        if chunk:
            with store.unit_of_work() as tx:
                tx.apply(ChangeSet(at=utc_now(), ledger_seen=list(chunk.values())))
            total += len(chunk)
            chunk.clear()

    for person_id, cells in rows:
        digest = row_digest(cells)
        chunk[digest] = LedgerRow(name, digest, json.dumps(list(cells)), PersonId(person_id), gen)
        if len(chunk) >= STAGE_CHUNK:
            flush()
    flush()
    return total


def pending(
    store: GraphStore, name: str, gen: int, side: Literal["add", "remove"]
) -> Iterator[list[str]]:
    """The rows of one side of the delta of `gen`, streamed in digest order."""
    after: str | None = None
    while True:
        with store.reader() as r:
            page = r.ledger_delta(name, gen, side, after, PAGE)
        for row in page:
            cells: list[str] = json.loads(row.row)
            yield cells
        if len(page) < PAGE:
            return
        after = page[-1].digest


def commit(store: GraphStore, name: str, gen: int, lease: str) -> DestinationRow:
    """Record `gen` as sent; ConflictError if the lease was lost meanwhile."""
    at = utc_now()
    with store.unit_of_work() as tx:
        found = tx.destinations([name])
        if not found or not holds(found[0], gen, lease):
            raise ConflictError(
                f"destination {name!r}: another export took over; this one was not recorded"
            )
        dest = found[0]
        dest.gen, dest.last_export_at = gen, at
        dest.lease, dest.lease_at = f"{gen}:", None
        tx.apply(ChangeSet(at=at, ledger_commits=[(name, gen)], destinations=[dest]))
    return dest
