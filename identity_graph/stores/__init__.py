"""Stores are named by URL: `sqlite:///path/graph.db` (embedded default) or a Neo4j URL,
`neo4j://[user:password@]host:7687[/database]` (also `neo4j+s`, `neo4j+ssc`, `bolt`,
`bolt+s`, `bolt+ssc`)."""

from __future__ import annotations

import re

from identity_graph.errors import ConfigError
from identity_graph.stores.admission import DEFAULT_WRITE_WAIT
from identity_graph.stores.contract import GraphStore, StoreTx

DEFAULT_STORE_URL = "sqlite:///./identity-graph.db"
NEO4J_SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})

__all__ = ["DEFAULT_STORE_URL", "NEO4J_SCHEMES", "GraphStore", "StoreTx", "open_store"]


def open_store(
    url: str,
    *,
    neo4j_auth: tuple[str, str] | None = None,
    write_wait: float = DEFAULT_WRITE_WAIT,
    sqlite_cache_mib: int | None = None,
) -> GraphStore:
    """Open the store a URL names. Raises ConfigError for an unknown or malformed URL.

    A write waits at most `write_wait` seconds for its turn, then raises Busy (see
    `stores.admission`). `sqlite_cache_mib` is a SQLite writer's page cache (default 512).

    For Neo4j, credentials in the URL take precedence over `neo4j_auth` (a URL with only a
    user takes the password from `neo4j_auth`); the URL's path, if any, names the database.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        from identity_graph.stores.sqlite import SQLiteStore

        return SQLiteStore(url, write_wait=write_wait, cache_mib=sqlite_cache_mib)
    if scheme in NEO4J_SCHEMES:
        from identity_graph.stores.neo4j import Neo4jStore

        return Neo4jStore(url, auth=neo4j_auth, write_wait=write_wait)
    shown = re.sub(r"//[^/@]*@", "//***@", url)  # a URL may carry a password: never show it
    raise ConfigError(
        f"unsupported store URL {shown!r}: expected sqlite:///PATH or "
        "neo4j://user:password@host:7687/database (credentials and database optional; also "
        "neo4j+s, neo4j+ssc, bolt, bolt+s, bolt+ssc)"
    )
