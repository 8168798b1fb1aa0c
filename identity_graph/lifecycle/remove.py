"""Taking evidence back: one link, one identifier, or everything one ingest batch or one
source wrote (a bad CRM import), then re-clustering every person it touched.

- link: the link is deleted (with its provenance rows).
- identifier: deleted with its links, activity, records, consent and provenance; no
  tombstone (unlike erasure), so new evidence may bring it back.
- batch: exactly that batch's provenance is subtracted: link counts lowered (a link loses
  the batch's source unless another batch gave evidence from it; deleted at count 0 or
  without sources), its records deleted unless a later batch wrote them too, its activity
  subtracted, its consent signals deleted where the stored signal is the one it wrote,
  and the identifiers it created deleted when no evidence is left on them.
- source: the same for every batch of the source, except that the source leaves every
  link's sources (a link left without any is deleted), and all its records and the
  consent signals it said go.

Evidence ingested before provenance existed (no batch ID) is found by link or identifier
only.

Big removals run in chunks of `CHUNK` provenance rows, one unit of work each: a chunk
subtracts its rows' evidence, deletes those rows and re-clusters the persons it touched,
so a crash leaves a consistent state and running the same command again finishes the job
(what was already taken back has no provenance left to subtract twice). The audit row is
written when the last chunk is done.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from identity_graph.config import Settings
from identity_graph.errors import NotFoundError
from identity_graph.graph.split import Reclustered, recluster
from identity_graph.ids import IdentifierKey, Pair, PersonId, ordered_pair
from identity_graph.ingest.observations import utc_now
from identity_graph.lifecycle.audit import (
    MAX_KEYS,
    audit_row,
    keys_of,
    pair_subject,
    side,
    write_audit,
)
from identity_graph.stores.contract import GraphStore, StoreTx
from identity_graph.stores.rows import ActivityRow, ChangeSet, LinkRow, ProvenanceRow, when

CHUNK = 5_000


@dataclass(slots=True)
class Removal:
    """What a removal took back, and what became of the persons it touched."""

    links_deleted: int = 0
    links_updated: int = 0
    records_deleted: int = 0
    activity_subtracted: int = 0
    consent_deleted: int = 0
    identifiers_deleted: int = 0
    provenance_removed: int = 0
    persons: Reclustered = field(default_factory=Reclustered)
    deleted_keys: list[IdentifierKey] = field(default_factory=list)
    # Persons' keys before they were touched, for the audit (capped at MAX_KEYS keys).
    before: dict[PersonId, list[IdentifierKey]] = field(default_factory=dict)
    before_left_out: int = 0

    def remember(self, tx: StoreTx, persons: Iterable[PersonId]) -> None:
        """Note the keys of persons seen for the first time, within the audit's cap (past
        it, the persons are only counted: no read)."""
        new = [p for p in set(persons) if p not in self.before]
        if not new:
            return
        shown = sum(len(v) for v in self.before.values())
        if shown >= MAX_KEYS:
            self.before_left_out += len(new)
            self.before.update((p, []) for p in new)
            return
        for pid, keys in keys_of(tx, new).items():
            room = max(MAX_KEYS - shown, 0)
            self.before[pid] = keys[:room]
            self.before_left_out += len(keys) - len(keys[:room])
            shown += len(self.before[pid])

    def final_persons(
        self,
    ) -> tuple[list[PersonId], list[tuple[PersonId, PersonId]], list[PersonId]]:
        """(kept, created, deleted), each once: a person deleted by a later chunk is deleted."""
        deleted = list(dict.fromkeys(self.persons.deleted))
        gone = set(deleted)
        created = [c for c in dict.fromkeys(self.persons.created) if c[0] not in gone]
        kept = [p for p in dict.fromkeys(self.persons.kept) if p not in gone]
        return kept, created, deleted


def remove_link(
    store: GraphStore, settings: Settings, a: str, b: str, by: str, reason: str
) -> Removal:
    pair = ordered_pair(IdentifierKey(a), IdentifierKey(b))
    out = Removal()
    at = utc_now()
    with store.unit_of_work() as tx:
        link = tx.pair_links([pair]).get(pair)
        if link is None:
            raise NotFoundError("link: no link between these two identifiers")
        states = tx.identifiers(list(pair))
        persons = {s.person_id for s in states.values()}
        out.remember(tx, persons)
        provenance = tx.provenance_of([("link", pair[0], pair[1])])
        tx.apply(
            ChangeSet(at=at, delete_links=[pair], delete_provenance=[p.pk for p in provenance])
        )
        out.links_deleted = 1
        out.provenance_removed = len(provenance)
        out.persons.add(recluster(tx, settings, persons, at, "a link was removed"))
        _audit(tx, out, at, by, "evidence.remove_link", pair_subject(*pair), reason, list(pair))
    return out


def remove_identifier(
    store: GraphStore, settings: Settings, key: str, by: str, reason: str
) -> Removal:
    wanted = IdentifierKey(key)
    out = Removal()
    at = utc_now()
    with store.unit_of_work() as tx:
        state = tx.identifiers([wanted]).get(wanted)
        if state is None:
            raise NotFoundError("identifier: no such identifier")
        out.remember(tx, [state.person_id])
        out.links_deleted = len(tx.links([wanted]))
        tx.apply(ChangeSet(at=at, delete_identifiers=[wanted]))
        out.identifiers_deleted = 1
        out.deleted_keys.append(wanted)
        out.persons.add(recluster(tx, settings, [state.person_id], at, "an identifier was removed"))
        _audit(tx, out, at, by, "evidence.remove_identifier", wanted, reason, [wanted])
    return out


def remove_batch(
    store: GraphStore,
    settings: Settings,
    batch_id: str,
    by: str,
    reason: str,
    chunk: int = CHUNK,
) -> Removal:
    with store.reader() as r:
        if not r.provenance(batch_id, None, 1):
            raise NotFoundError("batch: no ingest batch with that ID")
    out = Removal()
    _take_back_batch(store, settings, batch_id, None, chunk, out, "a batch was removed")
    at = utc_now()
    with store.unit_of_work() as tx:
        _audit(
            tx, out, at, by, "evidence.remove_batch", f"batch:{batch_id}", reason, out.deleted_keys
        )
    return out


def remove_source(
    store: GraphStore,
    settings: Settings,
    source: str,
    by: str,
    reason: str,
    chunk: int = CHUNK,
) -> Removal:
    with store.reader() as r:
        batch_ids = [b.batch_id for b in r.batches(source, limit=2**31)]
    if not batch_ids:
        raise NotFoundError("source: no ingested evidence from that source")
    out = Removal()
    for batch_id in batch_ids:
        _take_back_batch(store, settings, batch_id, source, chunk, out, "a source was removed")
    at = utc_now()
    with store.unit_of_work() as tx:
        _audit(
            tx, out, at, by, "evidence.remove_source", f"source:{source}", reason, out.deleted_keys
        )
    return out


def _take_back_batch(
    store: GraphStore,
    settings: Settings,
    batch_id: str,
    source: str | None,
    chunk: int,
    out: Removal,
    why: str,
) -> None:
    """Two passes over the batch's provenance (of `source` only, if given), one unit of
    work per page: first every kind of evidence but identifiers, then the identifiers it
    created that are left with no evidence (only then can that be told)."""

    def evidence(tx: StoreTx, rows: list[ProvenanceRow], at: str) -> None:
        _subtract(tx, settings, rows, source is not None, at, out, why)

    def identifiers(tx: StoreTx, rows: list[ProvenanceRow], at: str) -> None:
        _drop_orphans(tx, settings, rows, at, out, why)

    for wanted, step in (
        (lambda k: k != "identifier", evidence),
        (lambda k: k == "identifier", identifiers),
    ):
        _pages(store, batch_id, source, chunk, wanted, step)


def _pages(
    store: GraphStore,
    batch_id: str,
    source: str | None,
    chunk: int,
    wanted: Callable[[str], bool],
    step: Callable[[StoreTx, list[ProvenanceRow], str], None],
) -> None:
    after: str | None = None
    while True:
        with store.unit_of_work() as tx:
            page = tx.provenance(batch_id, after, chunk)
            if not page:
                return
            after = page[-1].pk
            rows = [r for r in page if wanted(r.kind) and (source is None or r.source == source)]
            if rows:
                step(tx, rows, utc_now())


def _subtract(
    tx: StoreTx,
    settings: Settings,
    rows: list[ProvenanceRow],
    whole_source: bool,
    at: str,
    out: Removal,
    why: str,
) -> None:
    pks = {r.pk for r in rows}
    changes = ChangeSet(at=at, delete_provenance=sorted(pks))
    touched: set[IdentifierKey] = set()

    link_rows = [r for r in rows if r.kind == "link"]
    if link_rows:
        pairs = list(dict.fromkeys(ordered_pair(r.key, IdentifierKey(r.other)) for r in link_rows))
        stored = tx.pair_links(pairs)
        # Sources other batches still vouch for (a source removal takes them all).
        vouched: dict[Pair, set[str]] = {}
        if not whole_source:
            for o in tx.provenance_of([("link", a, b) for a, b in pairs]):
                if o.pk not in pks:
                    vouched.setdefault((o.key, IdentifierKey(o.other)), set()).add(o.source)
        changed: dict[Pair, LinkRow] = {}
        for r in link_rows:
            pair = (r.key, IdentifierKey(r.other))
            link = changed.get(pair)
            if link is None:
                found = stored.get(pair)
                if found is None:  # gone already (removed by hand, or an earlier run)
                    continue
                link = changed[pair] = replace(found, sources=list(found.sources))
            link.count -= r.count
            if r.source in link.sources and r.source not in vouched.get(pair, set()):
                link.sources.remove(r.source)
        for pair, link in changed.items():
            touched.update(pair)
            if link.count <= 0 or not link.sources:
                changes.delete_links.append(pair)
                out.links_deleted += 1
            else:
                changes.links.append(link)
                out.links_updated += 1

    record_rows = [r for r in rows if r.kind == "record"]
    if record_rows:
        later: dict[tuple[str, str], str] = {}
        if not whole_source:
            items = list(dict.fromkeys(("record", r.key, r.other) for r in record_rows))
            for o in tx.provenance_of(items):
                if o.pk not in pks:
                    ident = (o.source, o.other)
                    later[ident] = max(later.get(ident, ""), o.at)
        for r in record_rows:
            # Kept when a later batch wrote it too: the stored version is that batch's.
            if later.get((r.source, r.other), "") < r.at or whole_source:
                changes.delete_records.append((r.source, r.other))
                out.records_deleted += 1

    for r in rows:
        if r.kind == "activity":
            kind, target_type, target_id, day = json.loads(r.other)
            changes.subtract_activity.append(
                ActivityRow(r.key, kind, target_type, target_id, day, r.count, r.at, r.at, r.amount)
            )
    out.activity_subtracted += len(changes.subtract_activity)

    consent_rows = [r for r in rows if r.kind == "consent"]
    if consent_rows:
        stored_consent = {
            (c.identifier, c.purpose): c for c in tx.consent(list({r.key for r in consent_rows}))
        }
        for r in consent_rows:
            purpose, said_at = json.loads(r.other)
            signal = stored_consent.get((r.key, purpose))
            # Only the signal this batch (or source) said: a newer one from elsewhere stays.
            if (
                signal is not None
                and signal.source == r.source
                and (whole_source or signal.at == when(said_at))
            ):
                changes.delete_consent.append((r.key, purpose))
                out.consent_deleted += 1

    states = tx.identifiers(sorted(touched)) if touched else {}
    persons = {s.person_id for s in states.values()}
    out.remember(tx, persons)
    tx.apply(changes)
    out.provenance_removed += len(pks)
    out.persons.add(recluster(tx, settings, persons, at, why))


def _drop_orphans(
    tx: StoreTx, settings: Settings, rows: list[ProvenanceRow], at: str, out: Removal, why: str
) -> None:
    """Delete the identifiers these rows say the batch created, when nothing vouches for
    them any more (no link, record, activity or consent)."""
    keys = sorted({r.key for r in rows})
    states = tx.identifiers(keys)
    alive = {k for lk in tx.links(keys) for k in (lk.a, lk.b)}
    alive |= {IdentifierKey(r.identifier) for r in tx.records(keys)}
    alive |= {IdentifierKey(a.identifier) for a in tx.activity(keys)}
    alive |= {IdentifierKey(c.identifier) for c in tx.consent(keys)}
    orphans = [k for k in keys if k in states and k not in alive]
    persons = {states[k].person_id for k in orphans}
    out.remember(tx, persons)
    tx.apply(
        ChangeSet(at=at, delete_identifiers=orphans, delete_provenance=sorted(r.pk for r in rows))
    )
    out.identifiers_deleted += len(orphans)
    out.deleted_keys.extend(orphans)
    out.provenance_removed += len(rows)
    out.persons.add(recluster(tx, settings, persons, at, why))


def _audit(
    tx: StoreTx,
    out: Removal,
    at: str,
    by: str,
    action: str,
    subject: str,
    reason: str,
    identifiers: list[IdentifierKey],
) -> None:
    kept, created, deleted = out.final_persons()
    now = [*kept, *(c[0] for c in created)]
    before: dict[str, Any] = side(out.before)
    if out.before_left_out:
        before["truncated"] = before.get("truncated", 0) + out.before_left_out
    after = side(keys_of(tx, now[:MAX_KEYS]), deleted=deleted[:MAX_KEYS])
    write_audit(
        tx,
        audit_row(
            at,
            by,
            action,
            subject,
            reason=reason,
            persons=[*out.before, *now, *deleted],
            identifiers=identifiers,
            before=before,
            after=after,
        ),
    )
