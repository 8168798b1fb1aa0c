"""The lifecycle against a networkx oracle, on both stores: random sequences of add-link,
remove-link, remove-source, merge, split and erase keep persons equal to the connected
components over stitching links under must-link/cannot-link constraints, and every person
ID ever given out keeps resolving (through the store's lineage) unless its person was
erased; an erased identifier never comes back (its events are dropped).

The operations are a table (`OPS`): each is a strategy for its arguments and a step that
applies it to the service and to the oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, note
from hypothesis import event as observe
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from identity_graph.config import Settings
from identity_graph.errors import ConflictError
from identity_graph.ids import IdentifierKey, Pair, ordered_pair
from identity_graph.profiles.build import current_person
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from tests.helpers import all_assignments, event

# Field of an event, value, the identifier key it becomes.
POOL = (
    [("anonymousId", f"c{i}", f"cookie:c{i}") for i in range(4)]
    + [("email", f"e{i}@x.org", f"email:e{i}@x.org") for i in range(3)]
    + [("userId", f"u{i}", f"customer_id:u{i}") for i in range(3)]
)
SOURCES = ("identify", "page", "track")
STEWARD = "steward:prop"
# No type limits, no hubs: what is left to hold are the steward's constraints.
RULES = Settings(type_limits={}, hub_limit=10**9)


@dataclass
class Oracle:
    """What the persons must be: links (pair -> sources), and which of them a steward made
    cannot-links or a rule refused (both never stitch)."""

    links: dict[Pair, set[str]] = field(default_factory=dict)
    cannot: set[Pair] = field(default_factory=set)
    refused: set[Pair] = field(default_factory=set)
    seen_ids: set[str] = field(default_factory=set)
    erased: set[str] = field(default_factory=set)  # identifier keys (tombstoned)

    def graph(self, nodes: set[str]) -> nx.Graph[str]:
        g: nx.Graph[str] = nx.Graph()
        g.add_nodes_from(nodes)
        g.add_edges_from(p for p in self.links if p not in self.cannot and p not in self.refused)
        return g

    def component(self, key: str) -> set[str]:
        g = self.graph({key})
        return set(nx.node_connected_component(g, key))

    def apart(self, a: str, b: str) -> bool:
        """Whether a cannot-link has its ends in the components of a and b."""
        ca, cb = self.component(a), self.component(b)
        return any((x in ca and y in cb) or (x in cb and y in ca) for x, y in self.cannot)

    def drop(self, pair: Pair) -> None:
        self.links.pop(pair, None)
        self.cannot.discard(pair)
        self.refused.discard(pair)


def _event(source: str, i: int, j: int) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for n in (i, j):
        name, value, _ = POOL[n]
        fields[name] = value
    if source == "track":
        fields["event"] = "Thing Done"
    return event(source, **fields)


def add_link(service: IdentityService, oracle: Oracle, i: int, j: int, s: int) -> None:
    if POOL[i][0] == POOL[j][0]:
        return  # one event holds one identifier per field
    a, b = POOL[i][2], POOL[j][2]
    if a in oracle.erased or b in oracle.erased:
        # The whole event is dropped, its other identifier too: nothing changes.
        assert service.ingest_events([_event(SOURCES[s], i, j)]).erased_dropped == 1
        return
    pair = ordered_pair(IdentifierKey(a), IdentifierKey(b))
    known = set(all_assignments(service.store))
    new = pair not in oracle.links
    # A new link between two persons a cannot-link keeps apart is refused (for good).
    if new and a in known and b in known and oracle.component(a) != oracle.component(b):
        oracle.refused.update([pair] if oracle.apart(a, b) else [])
    oracle.links.setdefault(pair, set()).add(f"segment:{SOURCES[s]}")
    service.ingest_events([_event(SOURCES[s], i, j)])


def remove_link(service: IdentityService, oracle: Oracle, n: int) -> None:
    if not oracle.links:
        return
    pair = sorted(oracle.links)[n % len(oracle.links)]
    service.lifecycle.remove(link=list(pair), by=STEWARD, reason="property")
    oracle.drop(pair)


def remove_source(service: IdentityService, oracle: Oracle, s: int) -> None:
    source = f"segment:{SOURCES[s]}"
    if not any(source in sources for sources in oracle.links.values()):
        return
    service.lifecycle.remove(source=source, by=STEWARD, reason="property")
    for pair, sources in list(oracle.links.items()):
        sources.discard(source)
        if not sources:
            oracle.drop(pair)


def merge(service: IdentityService, oracle: Oracle, i: int, j: int) -> None:
    where = all_assignments(service.store)
    a, b = POOL[i][2], POOL[j][2]
    if a not in where or b not in where or where[a] == where[b]:
        return
    if oracle.apart(a, b):
        with pytest.raises(ConflictError):
            service.lifecycle.merge([where[a], where[b]], STEWARD, "property")
        return
    result = service.lifecycle.merge([where[a], where[b]], STEWARD, "property")
    pair = ordered_pair(IdentifierKey(result.link[0]), IdentifierKey(result.link[1]))
    oracle.links.setdefault(pair, set()).add("steward")
    oracle.refused.discard(pair)  # a steward's must-link overrides a rule's refusal


def split(service: IdentityService, oracle: Oracle, i: int) -> None:
    where = all_assignments(service.store)
    key = POOL[i][2]
    if key not in where:
        return
    members = sorted(k for k, p in where.items() if p == where[key])
    if len(members) < 2:
        return
    half = len(members) // 2
    groups = [members[:half], members[half:]]
    result = service.lifecycle.split(where[key], groups, STEWARD, "property")
    side = {k: n for n, g in enumerate(groups) for k in g}
    cut = [
        p
        for p in oracle.links
        if p not in oracle.cannot
        and p not in oracle.refused
        and p[0] in side
        and p[1] in side
        and side[p[0]] != side[p[1]]
    ]
    assert result.cannot_links == len(cut)
    for p in cut:
        oracle.cannot.add(p)
        oracle.links[p].add("steward")


def erase(service: IdentityService, oracle: Oracle, i: int) -> None:
    where = all_assignments(service.store)
    key = POOL[i][2]
    if key not in where:
        return
    person = where[key]
    keys = {k for k, p in where.items() if p == person}
    with service.store.reader() as r:
        gone = {p for p in oracle.seen_ids if current_person(r, p).person_id == person}
    report = service.erasure.erase([key], by=STEWARD, reason="property")
    assert [e.person_id for e in report.erased] == [person]
    oracle.erased |= keys
    oracle.seen_ids -= gone | {person}
    for pair in [p for p in oracle.links if p[0] in keys or p[1] in keys]:
        oracle.drop(pair)
    oracle.cannot = {p for p in oracle.cannot if not (set(p) & keys)}


Step = Callable[..., None]
index = st.integers(min_value=0, max_value=len(POOL) - 1)
source = st.integers(min_value=0, max_value=len(SOURCES) - 1)
OPS: dict[str, tuple[st.SearchStrategy[tuple[int, ...]], Step]] = {
    "add_link": (st.tuples(index, index, source), add_link),
    "remove_link": (st.tuples(st.integers(0, 100)), remove_link),
    "remove_source": (st.tuples(source), remove_source),
    "merge": (st.tuples(index, index), merge),
    "split": (st.tuples(index), split),
    "erase": (st.tuples(index), erase),
}
# Links are added more often than anything is taken back, so persons grow to split.
WEIGHT = {"add_link": 5, "erase": 2}
ops = st.lists(
    st.one_of(
        *(
            st.tuples(st.just(name), args)
            for name, (args, _) in OPS.items()
            for _ in range(WEIGHT.get(name, 1))
        ),
    ),
    min_size=4,
    max_size=40,
)


def check(service: IdentityService, oracle: Oracle) -> None:
    where = all_assignments(service.store)
    oracle.seen_ids |= set(where.values())
    assert {k for p in oracle.links for k in p} <= set(where)
    assert not oracle.erased & set(where)
    expected = {frozenset(c) for c in nx.connected_components(oracle.graph(set(where)))}
    groups: dict[str, set[str]] = {}
    for key, pid in where.items():
        groups.setdefault(pid, set()).add(key)
    assert {frozenset(g) for g in groups.values()} == expected
    for x, y in oracle.cannot:
        assert where[x] != where[y], (x, y)
    with service.store.reader() as r:
        for pid in oracle.seen_ids:
            current_person(r, pid)  # raises if an ID ever given out stopped resolving


def run(store: GraphStore, steps: list[tuple[str, tuple[int, ...]]]) -> None:
    store.reset()
    service = IdentityService(store, RULES)
    oracle = Oracle()
    for n, (name, args) in enumerate(steps):
        note(f"step {n}: {name}{args}")
        OPS[name][1](service, oracle, *args)
        check(service, oracle)
    observe(f"cannot-links: {bool(oracle.cannot)}, refused: {bool(oracle.refused)}")
    observe(f"steward links: {any('steward' in s for s in oracle.links.values())}")
    observe(f"erased: {bool(oracle.erased)}")


@hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=ops)
def test_lifecycle_keeps_persons_equal_to_the_oracle_sqlite(
    sqlite_store: GraphStore, steps: list[tuple[str, tuple[int, ...]]]
) -> None:
    run(sqlite_store, steps)


@pytest.mark.neo4j
@hsettings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=ops)
def test_lifecycle_keeps_persons_equal_to_the_oracle_neo4j(
    neo4j_store: GraphStore, steps: list[tuple[str, tuple[int, ...]]]
) -> None:
    run(neo4j_store, steps)


@pytest.fixture
def sqlite_store(tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    from tests.conftest import make_store

    s = make_store("sqlite", tmp_path, request)
    yield s
    s.close()


@pytest.fixture
def neo4j_store(tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    from tests.conftest import make_store

    s = make_store("neo4j", tmp_path, request)
    yield s
    s.close()
