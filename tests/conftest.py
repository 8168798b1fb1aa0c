"""Fixtures shared by the suite. `store` runs a test on every store backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.sqlite import SQLiteStore
from tests.neo4j_server import (  # noqa: F401  (session fixtures)
    auth_from_env,
    neo4j_http_uri,
    neo4j_uri,
)

STORES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j),
]


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> GraphStore:
    if kind == "sqlite":
        return SQLiteStore(f"sqlite:///{tmp_path / 'graph.db'}")
    if kind == "neo4j":
        from identity_graph.stores.neo4j import Neo4jStore

        # One server per session: each test starts from an empty graph (schema kept).
        store = Neo4jStore(request.getfixturevalue("neo4j_uri"), auth=auth_from_env())
        store.reset()
        return store
    raise AssertionError(kind)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    s = make_store(request.param, tmp_path, request)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def service(store: GraphStore, settings: Settings) -> IdentityService:
    return IdentityService(store, settings)
