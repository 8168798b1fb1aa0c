"""One export of an audience to a platform's upload files: full, or a delta per destination.

The audience arrives as a stream of `ExportPerson`s (never the whole segment in memory);
the platform turns each into its rows. Without a destination the rows go straight to the
file. With one, every row also goes through the destination's ledger (`exports.ledger`):
a full export becomes the destination's new baseline, a delta writes what to add and what
to remove since the last export there, and either is recorded only once its files are
complete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from identity_graph.errors import ConflictError, InvalidValue
from identity_graph.exports import ledger
from identity_graph.exports.files import CsvParts, remove_path
from identity_graph.exports.platforms import ExportPerson, Platform
from identity_graph.stores.contract import GraphStore

Progress = Callable[[int, int], None]  # (persons done, rows done)


class ExportOutcome(BaseModel):
    segment: str
    platform: str
    destination: str | None = None
    delta: bool = False
    persons: int = Field(description="persons in the audience (consenting, after exclusions)")
    rows: int = Field(description="rows written: with a delta, the rows to add")
    removed: int = Field(default=0, description="delta only: rows to remove")
    files: list[str] = Field(default_factory=list)
    batch_size: int = Field(description="the platform's members per upload request")
    uploads: int = Field(description="upload requests the rows make at that batch size")
    generation: int | None = Field(default=None, description="the destination's export generation")
    warnings: list[str] = Field(default_factory=list)


def audience_warnings(platform: Platform, persons: int) -> list[str]:
    if persons < platform.min_audience:
        return [
            f"the audience has {persons:,} persons, below {platform.name}'s minimum of "
            f"{platform.min_audience:,}: the platform will not serve it until it grows"
        ]
    return []


def platform_rows(
    platform: Platform, people: Iterator[ExportPerson], on_progress: Progress | None = None
) -> Iterator[tuple[str, Sequence[str]]]:
    """(person ID, cells) for every row of every person (a platform gives a person's rows
    without duplicates)."""
    persons = rows = 0
    for person in people:
        for cells in platform.rows(person):
            rows += 1
            yield person.person_id, cells
        persons += 1
        if on_progress is not None and persons % 1000 == 0:
            on_progress(persons, rows)
    if on_progress is not None:
        on_progress(persons, rows)


def export_files(
    store: GraphStore,
    platform: Platform,
    people: Iterator[ExportPerson],
    *,
    segment: str,
    persons: int,
    output: Path,
    destination: str | None = None,
    delta: bool = False,
    split: bool = False,
    on_progress: Progress | None = None,
) -> ExportOutcome:
    outcome = ExportOutcome(
        segment=segment,
        platform=platform.name,
        destination=destination,
        delta=delta,
        persons=persons,
        rows=0,
        batch_size=platform.batch_size,
        uploads=0,
        warnings=audience_warnings(platform, persons),
    )
    rows = platform_rows(platform, people, on_progress)

    def parts(path: Path) -> CsvParts:
        return CsvParts(path, platform.columns, batch_size=platform.batch_size, split=split)

    if destination is None:
        if delta:
            raise InvalidValue("a delta export needs a destination (--destination NAME)")
        with parts(output) as out:
            out.write_all(cells for _, cells in rows)
        return _finish(outcome, [out])
    dest, gen, lease = ledger.acquire(store, destination)
    try:
        if (dest.platform, dest.segment) != (platform.name, segment):
            raise ConflictError(
                f"destination {destination!r} receives segment {dest.segment!r} on "
                f"{dest.platform}, not {segment!r} on {platform.name}"
            )
        if delta:
            ledger.stage(store, destination, gen, rows)
            with parts(output) as added:
                added.write_all(ledger.pending(store, destination, gen, "add"))
            with parts(remove_path(output)) as removed:
                removed.write_all(ledger.pending(store, destination, gen, "remove"))
            written = [added, removed]
            outcome.removed = removed.rows
        else:
            with parts(output) as full:
                ledger.stage(store, destination, gen, _tee(rows, full))
            written = [full]
        ledger.commit(store, destination, gen, lease)
    except BaseException:
        ledger.release(store, destination, lease)
        raise
    outcome.generation = gen
    return _finish(outcome, written)


def _tee(
    rows: Iterator[tuple[str, Sequence[str]]], out: CsvParts
) -> Iterator[tuple[str, Sequence[str]]]:
    for person_id, cells in rows:
        out.write(cells)
        yield person_id, cells


def _finish(outcome: ExportOutcome, written: list[CsvParts]) -> ExportOutcome:
    outcome.rows = written[0].rows
    outcome.files = [str(p) for w in written for p in w.files]
    outcome.uploads = sum(math.ceil(w.rows / w.batch_size) for w in written)
    return outcome
