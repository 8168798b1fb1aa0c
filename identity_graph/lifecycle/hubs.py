"""Hubs and the steward's decisions on them.

States: `flagged` (the hub rule set `is_hub`), `confirmed` (a steward: still a hub, never
stitches; sticky), `released` (a steward: not a hub; its links stitch again and the hub
rule never flags it again). Release re-clusters through `plan_merges`, so type limits,
cannot-links and the hub rule (for the other ends) hold as for any new evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from identity_graph.config import Settings
from identity_graph.errors import ConflictError, NotFoundError
from identity_graph.graph.clustering import plan_merges
from identity_graph.graph.commit import resolve_merges
from identity_graph.graph.split import Reclustered, recluster
from identity_graph.ids import IdentifierKey, Pair, PersonId, ordered_pair
from identity_graph.ingest.observations import utc_now
from identity_graph.lifecycle.audit import audit_row, keys_of, side, write_audit
from identity_graph.lifecycle.steward import current_id
from identity_graph.stores.contract import GraphStore, StoreReader, StoreTx
from identity_graph.stores.rows import (
    ChangeSet,
    HubRow,
    HubStateRow,
    LineageRow,
    RefusedMergeRow,
    StoredIdentifier,
)


@dataclass(slots=True)
class Hub:
    key: IdentifierKey
    type: str
    status: str  # flagged | confirmed
    reason: str  # consistent with `persons`
    stored_reason: str | None
    person_id: PersonId
    persons: list[PersonId]  # persons it touches: its own and those it joined, current IDs


def _current(reader: StoreReader, pid: PersonId) -> PersonId | None:
    try:
        return current_id(reader, pid, "person")
    except NotFoundError:
        return None


def list_hubs(reader: StoreReader, settings: Settings, limit: int) -> list[Hub]:
    hubs = reader.hubs(limit=limit)
    states = reader.hub_states([h.key for h in hubs]) if hubs else {}
    out: list[Hub] = []
    for h in hubs:
        touched = [h.person_id]
        for p in h.joined:
            cur = _current(reader, p)
            if cur is not None and cur not in touched:
                touched.append(cur)
        state = states.get(h.key)
        out.append(
            Hub(
                h.key,
                h.type,
                state.state if state is not None and state.state == "confirmed" else "flagged",
                f"its links join {len(touched)} persons (hub limit {settings.hub_limit})",
                h.hub_reason,
                h.person_id,
                touched,
            )
        )
    return out


def _hub(tx: StoreTx, key: IdentifierKey) -> None:
    state = tx.identifiers([key]).get(key)
    if state is None:
        raise NotFoundError("key: no such identifier")
    if not state.is_hub:
        raise ConflictError("key: this identifier is not a hub")


def confirm_hub(store: GraphStore, key: str, by: str, reason: str) -> None:
    wanted = IdentifierKey(key)
    at = utc_now()
    with store.unit_of_work() as tx:
        _hub(tx, wanted)
        pid = tx.identifiers([wanted])[wanted].person_id
        tx.apply(
            ChangeSet(
                at=at,
                hub_states=[HubStateRow(wanted, "confirmed", reason, at, by)],
                audit=[
                    audit_row(
                        at,
                        by,
                        "hub.confirm",
                        wanted,
                        reason=reason,
                        persons=[pid],
                        identifiers=[wanted],
                        before={"status": "flagged"},
                        after={"status": "confirmed"},
                    )
                ],
            )
        )


@dataclass(slots=True)
class Released:
    merges: int
    refused: int
    hubs_flagged: list[IdentifierKey]
    persons: Reclustered
    lineage: list[LineageRow]


def release_hub(store: GraphStore, settings: Settings, key: str, by: str, reason: str) -> Released:
    wanted = IdentifierKey(key)
    at = utc_now()
    with store.unit_of_work() as tx:
        _hub(tx, wanted)
        own = tx.identifiers([wanted])[wanted].person_id
        tx.apply(
            ChangeSet(
                at=at,
                unflag_hubs=[wanted],
                hub_states=[HubStateRow(wanted, "released", reason, at, by)],
            )
        )
        pairs: list[Pair] = [
            lk.pair
            for lk in tx.links([wanted])
            if lk.status == "active" and lk.weight >= settings.merge_threshold
        ]
        keys = sorted({k for p in pairs for k in p})
        states = _joined_now(tx, settings, tx.identifiers(keys), wanted)
        before_ids = {s.person_id for s in states.values()}
        before = side(keys_of(tx, before_ids))
        plan = plan_merges(
            settings,
            pairs,
            {k: s.type for k, s in states.items()},
            states,
            tx.type_counts,
            lambda _: set(),  # only active links were taken
            cannot_link=tx.cannot_links,
            never_hub=lambda k: k == wanted,
        )
        stored = tx.pair_links([ordered_pair(r.a, r.b) for r in plan.refused])
        refused_links = []
        for r in plan.refused:
            link = stored.get(ordered_pair(r.a, r.b))
            if link is not None:
                link.status = "refused"
                refused_links.append(link)
        lineage = [LineageRow(lo, w, "MERGED_INTO", at, reason) for lo, w in plan.merges]
        tx.apply(
            ChangeSet(
                at=at,
                merges=resolve_merges(plan.merges),
                links=refused_links,
                refused_merges=[
                    RefusedMergeRow(r.a, r.b, r.person_a, r.person_b, r.rule, r.reason, at)
                    for r in plan.refused
                ],
                lineage=lineage,
                hubs=[HubRow(k, why) for k, why in plan.hubs.items()],
                joined=plan.joined,
                touched_persons={own} | {w for _, w in plan.merges},
            )
        )
        # Other ends the hub rule flagged now stop stitching: their persons re-clustered.
        flagged = list(plan.hubs)
        hub_persons = {s.person_id for s in tx.identifiers(flagged).values()} if flagged else set()
        persons = recluster(tx, settings, hub_persons, at, "a hub no longer stitches")
        now = {s.person_id for s in tx.identifiers(keys).values()} | {own}
        write_audit(
            tx,
            audit_row(
                at,
                by,
                "hub.release",
                wanted,
                reason=reason,
                persons=[*before_ids, *now],
                identifiers=[wanted],
                before={"status": "flagged", **before},
                after={"status": "released", **side(keys_of(tx, now))},
            ),
        )
    return Released(len(plan.merges), len(plan.refused), flagged, persons, lineage)


def _joined_now(
    tx: StoreTx,
    settings: Settings,
    states: dict[IdentifierKey, StoredIdentifier],
    hub: IdentifierKey,
) -> dict[IdentifierKey, StoredIdentifier]:
    """The hub's other ends with their hub-rule memory (`joined`) taken from their links as
    they are now, the hub's own left out. The stored memory names the persons of the time it
    was written, the hub's person among them: the split that followed the flagging gave some
    of them other IDs, and counting a stale ID as one more person flagged an identifier that
    links to no more persons than before (the planner notes the hub's person itself)."""
    others = [k for k in states if k != hub]
    links = tx.links(others) if others else []
    ends = {k for lk in links for k in lk.pair}
    where = {k: s.person_id for k, s in tx.identifiers(sorted(ends)).items()}
    joined: dict[IdentifierKey, dict[PersonId, None]] = {k: {} for k in others}
    for lk in links:
        if lk.status != "active" or lk.weight < settings.merge_threshold:
            continue
        for key, other in (lk.pair, lk.pair[::-1]):
            # The link to the hub is the join being decided: the planner counts it itself.
            if other == hub or key not in joined or other not in where:
                continue
            if where[other] != states[key].person_id:
                joined[key][where[other]] = None
    return {
        k: s if k == hub else replace(s, joined=tuple(joined[k])[: settings.hub_limit])
        for k, s in states.items()
    }
