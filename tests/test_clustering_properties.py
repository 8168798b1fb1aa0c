"""Persons against a networkx oracle, on random streams of evidence in random batches."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import all_assignments, person_links, reads

# A small pool, so random events collide often: the interesting case for clustering.
POOL = (
    [("anonymousId", f"c{i}", "cookie") for i in range(8)]
    + [("userId", f"u{i}", "customer_id") for i in range(5)]
    + [("email", f"e{i}@x.org", "email") for i in range(4)]
    + [("device", f"d{i}", "device_id") for i in range(4)]
)

events = st.lists(
    st.sets(st.sampled_from(range(len(POOL))), min_size=1, max_size=3), min_size=1, max_size=40
)
cuts = st.lists(st.integers(min_value=1, max_value=10), min_size=1, max_size=8)


def to_event(members: set[int], n: int) -> dict[str, object]:
    ev: dict[str, object] = {
        "type": "identify",
        "messageId": f"m{n}",
        "timestamp": "2025-01-01T00:00:00Z",
    }
    traits: dict[str, str] = {}
    for i in sorted(members):
        field, value, _ = POOL[i]
        if field == "email":
            traits["email"] = value
        elif field == "device":
            ev["context"] = {"device": {"id": value}}
        else:
            ev[field] = value
    if traits:
        ev["traits"] = traits
    if "userId" not in ev and "anonymousId" not in ev:
        ev["anonymousId"] = "c0"
    return ev


def batches(stream: list[dict[str, object]], sizes: list[int]) -> Iterator[list[dict[str, object]]]:
    i = 0
    k = 0
    while i < len(stream):
        size = sizes[k % len(sizes)]
        yield stream[i : i + size]
        i += size
        k += 1


def keys_of(ev: dict[str, object]) -> list[str]:
    out = []
    if "userId" in ev:
        out.append(f"customer_id:{ev['userId']}")
    if "anonymousId" in ev:
        out.append(f"cookie:{ev['anonymousId']}")
    traits = ev.get("traits")
    if isinstance(traits, dict):
        out.append(f"email:{traits['email']}")
    ctx = ev.get("context")
    if isinstance(ctx, dict):
        out.append(f"device_id:{ctx['device']['id'].upper()}")
    return out


@contextmanager
def fresh_service(settings: Settings) -> Iterator[IdentityService]:
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(f"sqlite:///{Path(d) / 'g.db'}", synchronous="OFF")
        try:
            yield IdentityService(store, settings)
        finally:
            store.close()


def partition(service: IdentityService) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for key, pid in all_assignments(service.store).items():
        groups.setdefault(pid, set()).add(key)
    return {frozenset(g) for g in groups.values()}


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, cuts)
def test_without_rules_persons_are_connected_components(
    members: list[set[int]], sizes: list[int]
) -> None:
    stream = [to_event(m, n) for n, m in enumerate(members)]
    oracle: nx.Graph[str] = nx.Graph()
    for ev in stream:
        ks = keys_of(ev)
        oracle.add_nodes_from(ks)
        oracle.add_edges_from((a, b) for i, a in enumerate(ks) for b in ks[i + 1 :])
    no_rules = Settings(type_limits={}, hub_limit=10**9)
    with fresh_service(no_rules) as service:
        for batch in batches(stream, sizes):
            service.ingest_events(batch)
        assert partition(service) == {frozenset(c) for c in nx.connected_components(oracle)}


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events, cuts, st.integers(min_value=1, max_value=3))
def test_merge_rules_are_never_violated(
    members: list[set[int]], sizes: list[int], hub_limit: int
) -> None:
    stream = [to_event(m, n) for n, m in enumerate(members)]
    rules = Settings(type_limits={"customer_id": 1, "email": 2}, hub_limit=hub_limit)
    with fresh_service(rules) as service:
        for batch in batches(stream, sizes):
            service.ingest_events(batch)
        persons = partition(service)
        hubs = {h.key for h in reads(service.store).hubs(limit=1000)}
        event(f"hubs flagged: {bool(hubs)}")
        event(f"merges refused: {bool(reads(service.store).refused_merges())}")
        evidence: nx.Graph[str] = nx.Graph()
        for ev in stream:
            ks = keys_of(ev)
            evidence.add_nodes_from(ks)
            evidence.add_edges_from((a, b) for i, a in enumerate(ks) for b in ks[i + 1 :])
        for person in persons:
            types = Counter(k.split(":", 1)[0] for k in person)
            assert types["customer_id"] <= 1 and types["email"] <= 2, person
            if person & hubs:
                assert len(person) == 1, f"hub stitched a person: {person}"
            # a person is held together by links that still stitch (active, no hub end)
            pid = all_assignments(service.store)[next(iter(person))]
            usable: nx.Graph[str] = nx.Graph()
            usable.add_nodes_from(person)
            for link in person_links(service, pid):
                if link.status == "active" and link.a not in hubs and link.b not in hubs:
                    usable.add_edge(link.a, link.b)
            assert nx.is_connected(usable), person
            # and nothing was merged without evidence
            assert nx.is_connected(evidence.subgraph(person))
        # every link that may still stitch joins identifiers of one person
        where = all_assignments(service.store)
        for a, b in evidence.edges:
            if a in hubs or b in hubs:
                continue
            if where[a] != where[b]:
                refused = {(r.a, r.b) for r in reads(service.store).refused_merges(limit=10_000)}
                assert (a, b) in refused or (b, a) in refused, (a, b)
