"""Persons are connected components over strong links, kept incrementally, under merge rules.

`plan_merges` runs union-find over a batch's strong links against the persons already in
the store. Before two persons are joined the merge rules are checked:
- hub: an identifier through which more than `hub_limit` established persons (two or more
  identifiers, at least one an anchor: customer_id, email, ...) would be joined is a hub;
  its links stay in the graph but no longer stitch, and its person is re-clustered without it;
- per-type limits: a merge that would give a person more identifiers of a type than allowed
  (default: one crm_id, one customer_id) is refused and recorded with its reason.
The larger person keeps its ID. `split_components` re-clusters one person with networkx
when links or identifiers stop counting (a new hub, removed evidence, a steward's split).

Steward decisions hold everywhere: a steward must-link (kind "steward", status active;
`authoritative` here) stitches even through a hub, is exempt from type limits and never
makes or breaks a hub; a cannot-link never stitches, and two persons holding its ends are
never joined. A hub a steward released (`never_hub`) is never flagged again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx

from identity_graph.config import Settings
from identity_graph.ids import IdentifierKey, Pair, PersonId
from identity_graph.stores.rows import StoredIdentifier


def new_person_id() -> PersonId:
    return PersonId(str(uuid.uuid4()))


@dataclass(slots=True)
class RefusedJoin:
    a: IdentifierKey
    b: IdentifierKey
    person_a: PersonId
    person_b: PersonId
    rule: str
    reason: str


@dataclass(slots=True)
class MergePlan:
    new_persons: list[PersonId] = field(default_factory=list)
    # (loser, winner), in order
    merges: list[tuple[PersonId, PersonId]] = field(default_factory=list)
    # new identifier -> person
    assignments: dict[IdentifierKey, PersonId] = field(default_factory=dict)
    refused: list[RefusedJoin] = field(default_factory=list)
    hubs: dict[IdentifierKey, str] = field(default_factory=dict)  # key -> reason
    # Matched records merged past their types' limits (merge_duplicate_records).
    duplicates: list[Pair] = field(default_factory=list)
    joined: dict[IdentifierKey, tuple[PersonId, ...]] = field(default_factory=dict)


class _Persons:
    """Union-find over person IDs with sizes and per-type counts of each root."""

    def __init__(self) -> None:
        self.parent: dict[PersonId, PersonId] = {}
        self.counts: dict[PersonId, dict[str, int]] = {}
        self.existing: set[PersonId] = set()

    def add(self, pid: PersonId, counts: dict[str, int], existing: bool) -> None:
        if pid not in self.parent:
            self.parent[pid] = pid
            self.counts[pid] = dict(counts)
            if existing:
                self.existing.add(pid)

    def find(self, pid: PersonId) -> PersonId:
        root = pid
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[pid] != root:
            self.parent[pid], pid = root, self.parent[pid]
        return root

    def size(self, pid: PersonId) -> int:
        return sum(self.counts[pid].values())

    def union(self, x: PersonId, y: PersonId) -> tuple[PersonId, PersonId]:
        """Join two roots; returns (loser, winner). A stored person beats one first seen in
        this batch (its ID is already known to consumers); then the larger keeps its ID."""
        kx = (x in self.existing, self.size(x), y)
        ky = (y in self.existing, self.size(y), x)
        winner, loser = (x, y) if kx >= ky else (y, x)
        self.parent[loser] = winner
        merged = self.counts[winner]
        for type_, n in self.counts.pop(loser).items():
            merged[type_] = merged.get(type_, 0) + n
        return loser, winner


def plan_merges(
    settings: Settings,
    strong_links: Sequence[Pair],
    type_of: Mapping[IdentifierKey, str],
    states: Mapping[IdentifierKey, StoredIdentifier],
    person_counts: Callable[[Sequence[PersonId]], dict[PersonId, dict[str, int]]],
    refused_pairs: Callable[[Sequence[Pair]], set[Pair]],
    cannot_link: Callable[[Sequence[PersonId]], list[tuple[PersonId, PersonId]]] | None = None,
    authoritative: frozenset[Pair] = frozenset(),
    duplicates: frozenset[Pair] = frozenset(),
    never_hub: Callable[[IdentifierKey], bool] | None = None,
) -> MergePlan:
    """Decide merges for one batch.

    `strong_links` are this batch's links at or above the merge threshold, in the order
    their evidence arrived; `type_of` covers every key of the batch; `states` the keys
    already stored. The callables read the store only for persons/links that may merge:
    per-type counts, links no longer active, and pairs of persons a steward said must stay
    apart (cannot-link). `authoritative` links (steward decisions) skip per-type limits.
    `duplicates` (two records that matched) of one type skip that type's limit only: the
    person may hold two matched CRM rows, never two logins glued on by them, nor two CRM
    rows joined through a third record. `never_hub(key)`: a steward released that hub.
    """
    plan = MergePlan()
    person_of: dict[IdentifierKey, PersonId] = {}
    for key in type_of:
        state = states.get(key)
        # A provisional ID: replaced by a new person's ID, unless merged into a stored one.
        person_of[key] = state.person_id if state is not None else PersonId(f"new:{key}")
    hubs = {k for k, s in states.items() if s.is_hub}

    # A steward's must-link stitches through a hub; no other link touching one does.
    candidates = [
        (a, b)
        for a, b in strong_links
        if person_of[a] != person_of[b]
        and ((a, b) in authoritative or (a not in hubs and b not in hubs))
    ]
    existing_pids = sorted({person_of[k] for pair in candidates for k in pair if k in states})
    counts = person_counts(existing_pids) if existing_pids else {}
    skip = refused_pairs([p for p in candidates if p[0] in states and p[1] in states])
    apart = cannot_link(existing_pids) if cannot_link is not None and existing_pids else []

    uf = _Persons()
    for pid in existing_pids:
        uf.add(pid, counts.get(pid, {}), existing=True)
    for pair in apart:
        for pid in pair:
            uf.add(pid, counts.get(pid, {}), existing=True)
    anchors = frozenset(settings.anchor_types)
    limits = settings.type_limits
    joined = {k: list(s.joined) for k, s in states.items()}

    for a, b in candidates:
        steward = (a, b) in authoritative
        if (a, b) in skip or (not steward and (a in plan.hubs or b in plan.hubs)):
            continue
        for key in (a, b):
            uf.add(person_of[key], {type_of[key]: 1}, existing=False)
        ra, rb = uf.find(person_of[a]), uf.find(person_of[b])
        if ra == rb:
            continue
        ca, cb = uf.counts[ra], uf.counts[rb]
        # A steward's link never makes (or, by not counting, breaks) a hub.
        if not steward and _established(ca, anchors) and _established(cb, anchors):
            hub = _count_join(settings, plan, joined, never_hub, (a, rb), (b, ra))
            if hub is not None:
                continue
        if any({uf.find(x), uf.find(y)} == {ra, rb} for x, y in apart):
            plan.refused.append(
                RefusedJoin(
                    a, b, ra, rb, "cannot_link", "a steward decided these are different persons"
                )
            )
            continue
        # Only the type both records are of: a loyalty card matching two CRM customers
        # (a parent and a child) must not glue them past the crm_id limit.
        exempt = {type_of[a]} if (a, b) in duplicates and type_of[a] == type_of[b] else set()
        over = [t for t, limit in limits.items() if ca.get(t, 0) + cb.get(t, 0) > limit]
        refused = next((t for t in over if t not in exempt), None)
        if refused is not None and (a, b) not in authoritative:
            plan.refused.append(
                RefusedJoin(
                    a,
                    b,
                    ra,
                    rb,
                    f"type_limit:{refused}",
                    f"would give one person {ca.get(refused, 0) + cb.get(refused, 0)} "
                    f"{refused} identifiers (limit {limits[refused]})",
                )
            )
            continue
        if over and refused is None:
            plan.duplicates.append((a, b))
        loser, winner = uf.union(ra, rb)
        plan.merges.append((loser, winner))

    _finish(plan, uf, person_of, states)
    return plan


def _established(counts: Mapping[str, int], anchors: frozenset[str]) -> bool:
    """A person of one identifier is an identifier being added, not a person being joined;
    a person without an anchor (cookies and devices only) is anonymous browsing."""
    return sum(counts.values()) >= 2 and any(counts.get(t) for t in anchors)


def _count_join(
    settings: Settings,
    plan: MergePlan,
    joined: dict[IdentifierKey, list[PersonId]],
    never_hub: Callable[[IdentifierKey], bool] | None,
    *sides: tuple[IdentifierKey, PersonId],
) -> IdentifierKey | None:
    """Note, for each endpoint, the other established person it links to; flag as a hub an
    endpoint that now links more than `hub_limit` persons (its own included). Only
    `hub_limit` persons are remembered per identifier: enough to decide."""
    flagged = None
    for key, other in sides:
        persons = joined.setdefault(key, [])
        if other in persons:
            continue
        persons.append(other)
        plan.joined[key] = tuple(persons[: settings.hub_limit])
        if len(persons) + 1 > settings.hub_limit and not (never_hub and never_hub(key)):
            plan.hubs[key] = (
                f"its links would join {len(persons) + 1} persons (hub limit {settings.hub_limit})"
            )
            flagged = key
    return flagged


def _finish(
    plan: MergePlan,
    uf: _Persons,
    person_of: Mapping[IdentifierKey, PersonId],
    states: Mapping[IdentifierKey, object],
) -> None:
    """Give every new identifier its final person; create persons only for new roots."""
    new_roots: dict[PersonId, PersonId] = {}

    def final(pid: PersonId) -> PersonId:
        root = uf.find(pid) if pid in uf.parent else pid
        if root.startswith("new:") and root not in new_roots:
            new_roots[root] = new_person_id()
            plan.new_persons.append(new_roots[root])
        return new_roots.get(root, root)

    for key, pid in person_of.items():
        if key not in states:
            plan.assignments[key] = final(pid)
    # Merges of a provisional person need no lineage: nobody ever saw its ID.
    plan.merges = [(loser, winner) for loser, winner in plan.merges if not loser.startswith("new:")]
    for r in plan.refused:
        r.person_a, r.person_b = final(r.person_a), final(r.person_b)
    plan.joined = {k: tuple(dict.fromkeys(final(p) for p in v)) for k, v in plan.joined.items()}


def stitches(
    a_hub: bool, b_hub: bool, weight: float, status: str, kind: str, threshold: float
) -> bool:
    """Whether a link joins its ends into one person: active and at or above the threshold,
    touching no hub, or a steward's must-link (which stitches through a hub)."""
    if status != "active":
        return False
    if kind == "steward":
        return True
    return weight >= threshold and not a_hub and not b_hub


def split_components(
    keys: Iterable[tuple[IdentifierKey, bool]],
    links: Iterable[tuple[IdentifierKey, IdentifierKey, float, str, str]],
    threshold: float,
) -> list[set[IdentifierKey]]:
    """Connected components of a person's identifiers over links that still stitch
    (`stitches`; links are (a, b, weight, status, kind)). Largest component first, then
    by smallest key."""
    graph: nx.Graph[IdentifierKey] = nx.Graph()
    hubs: set[IdentifierKey] = set()
    for key, is_hub in keys:
        graph.add_node(key)
        if is_hub:
            hubs.add(key)
    for a, b, weight, status, kind in links:
        if (
            a in graph
            and b in graph
            and stitches(a in hubs, b in hubs, weight, status, kind, threshold)
        ):
            graph.add_edge(a, b)
    return sorted((set(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), min(c)))
