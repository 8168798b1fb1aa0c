"""Driver errors as this package's errors: they name the query (and carry its text, which
holds no values); the server's message is kept only where it cannot carry parameter values,
which are personal data."""

from __future__ import annotations

from neo4j import exceptions as nx

from identity_graph.errors import (
    ConfigError,
    IdentityGraphError,
    MemoryFull,
    StoreError,
    TransientStoreError,
)
from identity_graph.stores.cypher_files import Query

# Server messages of these codes name query text or parameter names, never values.
_SAFE_MESSAGE_CODES = frozenset(
    {
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Statement.ParameterMissing",
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    }
)
MEMORY_POOL_FULL = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"
SCHEMA_RACE_CODES = frozenset(
    {
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.IndexAlreadyExists",
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    }
)


def translate(exc: Exception, where: str, q: Query | None) -> IdentityGraphError:
    """A driver error as this package's error. Never includes parameter values."""
    text = q.text if q is not None else None
    what = f"query {q.name!r}" if q is not None else "request"
    if isinstance(exc, nx.AuthError):
        return ConfigError(
            f"Neo4j at {where} refused the credentials ({exc.code}): check the URL's "
            "user:password or NEO4J_USER/NEO4J_PASSWORD"
        )
    if isinstance(exc, nx.Forbidden):
        return ConfigError(f"Neo4j at {where}: the user may not run {what} ({exc.code})")
    if isinstance(exc, nx.Neo4jError):
        code = exc.code or "(no code)"
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return ConfigError(f"Neo4j at {where}: no such database ({code})")
        if code == "Neo.ClientError.Security.CredentialsExpired":
            return ConfigError(
                f"Neo4j at {where}: the password must be changed before use ({code})"
            )
        if code.startswith("Neo.ClientError.Security."):
            return ConfigError(f"Neo4j at {where}: not allowed to run {what} ({code})")
        detail = f": {exc.message}" if code in _SAFE_MESSAGE_CODES and exc.message else ""
        if code == MEMORY_POOL_FULL:
            # Transient while other transactions hold the pool; a batch too large for it
            # fails the same way every time (admission.retry_transient then says TooLarge).
            return MemoryFull(
                f"Neo4j at {where}: {what} needs more transaction memory than the server "
                f"allows now ({code}); nothing was written: send smaller batches (ingest "
                "--batch-size) or raise the server's db.memory.transaction.total.max",
                text,
            )
        if isinstance(exc, nx.TransientError):
            return TransientStoreError(
                f"Neo4j at {where}: {what} failed transiently ({code}); the batch was rolled "
                f"back, retrying it is safe{detail}",
                text,
            )
        if isinstance(exc, nx.ClientError):
            return StoreError(f"Neo4j at {where} rejected {what} ({code}){detail}", text)
        return StoreError(f"Neo4j at {where}: database error in {what} ({code}){detail}", text)
    if isinstance(exc, nx.ConfigurationError):
        return ConfigError(f"Neo4j driver configuration for {where}: {exc}")
    if isinstance(exc, nx.ServiceUnavailable | nx.SessionExpired):
        return StoreError(f"cannot reach Neo4j at {where} ({type(exc).__name__}: {exc})", text)
    if isinstance(exc, nx.IncompleteCommit):
        return StoreError(
            f"Neo4j at {where}: the connection broke during commit; the batch may or may not "
            "be applied (re-sending it is harmless: replays change nothing)"
        )
    return StoreError(f"Neo4j at {where}: {what} failed ({type(exc).__name__})", text)
