"""Stores are named by URL: `sqlite:///path/graph.db` (embedded default) or `neo4j://host:7687`."""

from __future__ import annotations

from identity_graph.errors import ConfigError
from identity_graph.stores.base import GraphStore, StoreTx

DEFAULT_STORE_URL = "sqlite:///./identity-graph.db"

__all__ = ["DEFAULT_STORE_URL", "GraphStore", "StoreTx", "open_store"]


def open_store(url: str) -> GraphStore:
    """Open the store a URL names. Raises ConfigError for an unknown or malformed URL."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        from identity_graph.stores.sqlite import SQLiteStore

        return SQLiteStore(url)
    raise ConfigError(f"unsupported store URL {url!r}: expected sqlite:///PATH")
