"""How the CLI reports errors of the core."""

from __future__ import annotations


def test_a_failed_store_query_is_reported_without_its_text() -> None:
    from identity_graph.cli.common import describe
    from identity_graph.errors import StoreError

    exc = StoreError("Neo4j at x: lookup failed (Timeout)", "MATCH (i {key: 'email:a@b.c'})")
    assert describe(exc) == "Neo4j at x: lookup failed (Timeout)"
    assert describe(StoreError("plain")) == "plain"
