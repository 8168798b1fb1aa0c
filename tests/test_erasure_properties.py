"""Random streams of ingest batches and erasures against a networkx oracle, on both stores:
persons stay the connected components of the evidence that was kept, an erased identifier
is never stored again, and every event carrying one is dropped and counted."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import all_assignments
from tests.neo4j_server import auth_from_env
from tests.test_clustering_properties import POOL, keys_of, to_event

# An op: ("ingest", [identifier sets]) or ("erase", pool index).
Step = tuple[str, Any]
ingest_op = st.tuples(
    st.just("ingest"),
    st.lists(
        st.sets(st.sampled_from(range(len(POOL))), min_size=1, max_size=3),
        min_size=1,
        max_size=6,
    ),
)
erase_op = st.tuples(st.just("erase"), st.sampled_from(range(len(POOL))))
ops = st.lists(st.one_of(ingest_op, erase_op), min_size=1, max_size=12)
NO_RULES = Settings(type_limits={}, hub_limit=10**9)


def _target(i: int) -> tuple[str, str]:
    """(what a user types, the stored key: normalized as ingest does, `keys_of`)."""
    _, value, type_ = POOL[i]
    (key,) = [k for k in keys_of(to_event({i}, 0)) if k.startswith(f"{type_}:")]
    return f"{type_}:{value}", key


def _partition(store: GraphStore) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for key, pid in all_assignments(store).items():
        groups.setdefault(pid, set()).add(key)
    return {frozenset(g) for g in groups.values()}


def check(open_store: Callable[[], AbstractContextManager[GraphStore]], steps: list[Step]) -> None:
    oracle: nx.Graph[str] = nx.Graph()
    erased: set[str] = set()
    n = 0
    with open_store() as store:
        service = IdentityService(store, NO_RULES)
        for op, arg in steps:
            if op == "ingest":
                batch = [to_event(m, n + k) for k, m in enumerate(arg)]
                n += len(batch)
                dropped = 0
                for ev in batch:
                    ks = keys_of(ev)
                    if erased & set(ks):
                        dropped += 1
                        continue
                    oracle.add_nodes_from(ks)
                    oracle.add_edges_from((a, b) for i, a in enumerate(ks) for b in ks[i + 1 :])
                summary = service.ingest_events(batch)
                assert summary.erased_dropped == dropped
            else:
                typed, key = _target(arg)
                report = service.erasure.erase([typed], by="prop", reason="test")
                if key in oracle:
                    person = set(nx.node_connected_component(oracle, key))
                    assert [e.identifiers for e in report.erased] == [len(person)]
                    oracle.remove_nodes_from(person)
                    erased |= person
                else:
                    assert report.erased == []
                    assert (report.already_erased == [0]) == (key in erased)
            assert _partition(store) == {frozenset(c) for c in nx.connected_components(oracle)}
            assert not erased & set(all_assignments(store))


@contextmanager
def _sqlite() -> Iterator[GraphStore]:
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(f"sqlite:///{Path(d) / 'g.db'}", synchronous="OFF")
        try:
            yield store
        finally:
            store.close()


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_erasure_against_the_oracle_sqlite(steps: list[Step]) -> None:
    check(_sqlite, steps)


@pytest.mark.neo4j
@hsettings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=ops)
def test_erasure_against_the_oracle_neo4j(neo4j_uri: str, steps: list[Step]) -> None:
    from identity_graph.stores.neo4j import Neo4jStore

    @contextmanager
    def neo4j_store() -> Iterator[GraphStore]:
        store = Neo4jStore(neo4j_uri, auth=auth_from_env())
        store.reset()
        try:
            yield store
        finally:
            store.close()

    check(neo4j_store, steps)
