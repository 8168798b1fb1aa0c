"""Ingest batches: observations -> one `Evidence` per batch -> one store transaction.

Inside the transaction: drop replayed message IDs, aggregate repeated evidence (one link
row per pair and source, `count` raised), then hand the batch to `graph.commit`, which
decides merges, applies it, and re-clusters persons whose hub identifiers were just flagged.

Provenance: every ingest unit has a batch ID (one API request; one CLI `ingest` run, shared
by all its commits), and the evidence it wrote is remembered per source under that ID
(`rows.ProvenanceRow`), so that a batch or a source can be taken back exactly
(`identity_graph.lifecycle.remove`). Replays write nothing, provenance included.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from identity_graph.config import Settings
from identity_graph.graph.commit import DETERMINISTIC_WEIGHT, BatchSummary, Evidence, commit_changes
from identity_graph.graph.links import LinkEvidence
from identity_graph.ids import IdentifierKey
from identity_graph.ingest.observations import Observation, utc_now
from identity_graph.lifecycle.erase import drop_erased
from identity_graph.stores.contract import GraphStore, StoreTx
from identity_graph.stores.rows import (
    ActivityRow,
    ConsentRow,
    IdentifierRow,
    ProvenanceRow,
    RecordRow,
    activity_other,
    consent_other,
    newest_consent,
)

__all__ = ["BatchSummary", "ingest_batch", "new_batch_id"]


def new_batch_id() -> str:
    """`b_` and 16 random hex digits."""
    return f"b_{secrets.token_hex(8)}"


def ingest_batch(
    store: GraphStore,
    settings: Settings,
    observations: Sequence[Observation],
    batch_id: str | None = None,
) -> BatchSummary:
    """Apply one batch in one transaction: all of it, or (on any exception) none of it.
    Its evidence is remembered under `batch_id` (a new one if None)."""
    batch_id = batch_id or new_batch_id()
    summary = BatchSummary(items=len(observations), batch_id=batch_id)
    with store.unit_of_work() as tx:
        fresh = _drop_replays(tx, observations)
        summary.replayed = len(observations) - len(fresh)
        # Erased identifiers never come back (lifecycle.erase): dropped, counted.
        fresh, summary.erased_dropped = drop_erased(tx, fresh)
        summary.placeholders_dropped = sum(o.placeholders for o in fresh)
        if not fresh:
            return summary
        changes = _aggregate(fresh, batch_id, utc_now())
        commit_changes(tx, settings, changes, summary)
    return summary


def _drop_replays(tx: StoreTx, observations: Sequence[Observation]) -> list[Observation]:
    seen = tx.seen_messages(list({o.message_id for o in observations}))
    fresh: list[Observation] = []
    for obs in observations:
        if obs.message_id not in seen:
            seen.add(obs.message_id)  # a duplicate within the batch is a replay too
            fresh.append(obs)
    return fresh


@dataclass(slots=True)
class _Seen:
    """How often one identifier set came from one source in the batch, and when."""

    count: int
    first: str
    last: str


def _aggregate(observations: Iterable[Observation], batch_id: str, now: str) -> Evidence:
    """The batch's evidence, aggregated; its provenance rows carry `now`, when the batch was
    ingested (a consent row also its signal's time, to tell its own signal later)."""
    # Most events repeat an identifier set already seen in the batch (one session, many page
    # views): group by set first, so pairs are expanded once per distinct set.
    groups: dict[tuple[str, tuple[tuple[IdentifierKey, str, str], ...]], _Seen] = {}
    activity: dict[tuple[IdentifierKey, str, str, str, str], ActivityRow] = {}
    # The same activity by source, for provenance (rows.ProvenanceRow of kind "activity").
    by_source: dict[tuple[IdentifierKey, str, str, str, str, str], ProvenanceRow] = {}
    consent: list[ConsentRow] = []
    records: dict[tuple[str, str], RecordRow] = {}
    message_ids: list[tuple[str, str]] = []
    for obs in observations:
        at = obs.at
        message_ids.append((obs.message_id, at))
        gk = (obs.source, tuple(obs.identifiers))
        group = groups.get(gk)
        if group is None:
            groups[gk] = _Seen(1, at, at)
        else:
            group.count += 1
            if at < group.first:
                group.first = at
            elif at > group.last:
                group.last = at
        owner = obs.activity_key
        if obs.activity and owner is not None:
            day = at[:10]  # `at` is canonical UTC text: its date is the UTC day
            for kind, ttype, tid, amount in obs.activity:
                ak = (owner, kind, ttype, tid, day)
                act = activity.get(ak)
                if act is None:
                    activity[ak] = ActivityRow(owner, kind, ttype, tid, day, 1, at, at, amount)
                else:
                    act.count += 1
                    act.amount += amount
                    act.first_at = min(act.first_at, at)
                    act.last_at = max(act.last_at, at)
                pk = (*ak, obs.source)
                prov = by_source.get(pk)
                if prov is None:
                    by_source[pk] = ProvenanceRow(
                        batch_id,
                        "activity",
                        obs.source,
                        owner,
                        activity_other(kind, ttype, tid, day),
                        1,
                        amount,
                        now,
                    )
                else:
                    prov.count += 1
                    prov.amount += amount
        if obs.consent and owner is not None:
            consent.extend(ConsentRow(owner, p, g, obs.source, at) for p, g in obs.consent)
        if obs.record is not None:
            source, record_id, key, attributes = obs.record
            prev = records.get((source, record_id))
            if prev is None or at >= prev.observed_at:
                records[(source, record_id)] = RecordRow(source, record_id, key, attributes, at)

    identifiers: dict[IdentifierKey, IdentifierRow] = {}
    first_source: dict[IdentifierKey, str] = {}
    links: dict[tuple[IdentifierKey, IdentifierKey, str], LinkEvidence] = {}
    for (source, idents), seen in groups.items():
        count, first, last = seen.count, seen.first, seen.last
        for key, type_, value in idents:
            row = identifiers.get(key)
            if row is None:
                identifiers[key] = IdentifierRow(key, type_, value, first, last)
                first_source[key] = source
            else:
                if first < row.first_seen:
                    row.first_seen = first
                if last > row.last_seen:
                    row.last_seen = last
        n = len(idents)
        for i in range(n):
            ki = idents[i][0]
            for j in range(i + 1, n):
                kj = idents[j][0]
                a, b = (ki, kj) if ki < kj else (kj, ki)
                link = links.get((a, b, source))
                if link is None:
                    links[(a, b, source)] = LinkEvidence(
                        a, b, DETERMINISTIC_WEIGHT, "deterministic", source, count, first, last
                    )
                else:
                    link.count += count
                    if first < link.first_seen:
                        link.first_seen = first
                    if last > link.last_seen:
                        link.last_seen = last
    kept_consent = newest_consent(consent)
    provenance = [
        ProvenanceRow(batch_id, "link", lk.source, lk.a, lk.b, lk.count, 0.0, now)
        for lk in links.values()
    ]
    provenance.extend(
        ProvenanceRow(batch_id, "record", r.source, r.key, r.record_id, 1, 0.0, now)
        for r in records.values()
    )
    provenance.extend(by_source.values())
    provenance.extend(
        ProvenanceRow(
            batch_id, "consent", c.source, c.key, consent_other(c.purpose, c.at), 1, 0.0, now
        )
        for c in kept_consent
    )
    provenance.extend(
        ProvenanceRow(batch_id, "identifier", first_source[k], k, "", 1, 0.0, now)
        for k, r in identifiers.items()
    )
    return Evidence(
        message_ids=message_ids,
        identifiers=list(identifiers.values()),
        links=list(links.values()),
        activity=list(activity.values()),
        records=list(records.values()),
        consent=kept_consent,
        provenance=provenance,
    )
