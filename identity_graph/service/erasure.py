"""The erasure use case (API `DELETE /v1/persons/{id}`, CLI `identity-graph erase`).

Targets are person IDs or `TYPE:VALUE` identifiers (normalized as ingest does). They are
erased in chunks of `ERASE_CHUNK` persons, one unit of work each (a crash leaves the chunks
before it erased and the rest untouched: running the same command again finishes the job,
the erased targets then reported as already erased or not found). After the last chunk the
store purges its files (`GraphStore.purge_deleted`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial

from pydantic import BaseModel, Field

from identity_graph.errors import InvalidValue, NotFoundError
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.ingest.observations import utc_now
from identity_graph.lifecycle.erase import ERASE_CHUNK, ChunkResult, Erased, Targets, erase
from identity_graph.stores.admission import retry_transient
from identity_graph.stores.contract import GraphStore


class ErasedPerson(BaseModel):
    person_id: str
    merged_ids: list[str] = Field(description="old person IDs merged into it, erased with it")
    identifiers: int
    links: int
    records: int
    activity: int
    consent: int
    tombstones: int = Field(description="identifiers tombstoned (hubs are not)")


class ErasureReport(BaseModel):
    erased: list[ErasedPerson]
    not_found: list[int] = Field(
        default_factory=list, description="positions (0-based) of targets matching nothing"
    )
    already_erased: list[int] = Field(
        default_factory=list,
        description="positions of TYPE:VALUE targets whose identifier was erased before",
    )
    files_purged: bool = Field(
        description="the store's files hold no deleted data (SQLite: WAL checkpointed and "
        "truncated); false: a reader held an old snapshot, run it again"
    )


def _view(e: Erased) -> ErasedPerson:
    return ErasedPerson(
        person_id=e.person_id,
        merged_ids=list(e.merged_ids),
        identifiers=e.identifiers,
        links=e.links,
        records=e.records,
        activity=e.activity,
        consent=e.consent,
        tombstones=len(e.tombstones),
    )


class Erasure:
    def __init__(self, store: GraphStore, key_of: Callable[[str, str], IdentifierKey]) -> None:
        """`key_of(type, value)`: the stored key of a value as a user writes it."""
        self._store = store
        self._key_of = key_of

    def parse(self, targets: Sequence[str]) -> Targets:
        """Person IDs as they are; `TYPE:VALUE` normalized as ingest does (InvalidValue
        naming the target's position and the type, never the value)."""
        out = Targets()
        for pos, raw in enumerate(targets):
            text = raw.strip()
            if not text:
                raise InvalidValue(f"target {pos}: empty")
            if ":" not in text:
                out.person_ids.append((pos, PersonId(text)))
                continue
            type_, _, value = text.partition(":")
            try:
                out.keys.append((pos, self._key_of(type_, value)))
            except (InvalidValue, NotFoundError) as exc:
                raise InvalidValue(f"target {pos}: {exc}") from None
        return out

    def erase(
        self, targets: Sequence[str], *, by: str, reason: str, chunk: int = ERASE_CHUNK
    ) -> ErasureReport:
        """Erase every target's person; see the module docstring."""
        report = ErasureReport(erased=[], files_purged=False)
        for part in _chunks(self.parse(targets), chunk):
            result = retry_transient(partial(self._chunk, part, by, reason))
            report.erased.extend(_view(e) for e in result.erased)
            report.not_found.extend(result.not_found)
            report.already_erased.extend(result.already_erased)
        report.not_found.sort()
        report.already_erased.sort()
        report.files_purged = self._store.purge_deleted()
        return report

    def _chunk(self, part: Targets, by: str, reason: str) -> ChunkResult:
        with self._store.unit_of_work() as tx:
            return erase(tx, part, by=by, reason=reason, at=utc_now())

    def erase_person(self, person_id: str, *, by: str, reason: str) -> ErasureReport:
        """One person by ID (an old merged ID resolves first); NotFoundError if none."""
        report = self.erase([person_id], by=by, reason=reason) if ":" not in person_id else None
        if report is None or not report.erased:
            raise NotFoundError(f"no person with ID {person_id!r}")
        return report


def _chunks(targets: Targets, size: int) -> Iterator[Targets]:
    """`targets` in parts of at most `size` targets."""
    items = [
        *((p, k, None) for p, k in targets.keys),
        *((p, None, i) for p, i in targets.person_ids),
    ]
    for start in range(0, len(items), size):
        part = Targets()
        for pos, key, pid in items[start : start + size]:
            if key is not None:
                part.keys.append((pos, key))
            elif pid is not None:
                part.person_ids.append((pos, pid))
        yield part
