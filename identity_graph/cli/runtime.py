"""Process-level settings for the CLI and the API, from the environment (pydantic-settings).

This is the edge: it reads `IDENTITY_GRAPH_*` and `NEO4J_USER`/`NEO4J_PASSWORD` variables
and the settings file, then hands plain values to the core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from identity_graph.config import Settings, load_settings
from identity_graph.errors import ConfigError
from identity_graph.service.identity import IdentityService
from identity_graph.stores import DEFAULT_STORE_URL
from identity_graph.stores.admission import DEFAULT_WRITE_WAIT
from identity_graph.stores.sqlite.store import DEFAULT_WRITER_CACHE_MIB


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_GRAPH_", extra="ignore")

    store: str = DEFAULT_STORE_URL
    config: Path | None = None
    # The HTTP server's request body limit, on the bytes received and on the decoded body.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    #: How long a write (an API batch, a CLI batch) waits for its turn before it fails as
    #: busy (HTTP 503 with Retry-After): in its own process, then as long again for a
    #: write of another process on the same SQLite file.
    write_wait_seconds: Annotated[float, Field(gt=0)] = DEFAULT_WRITE_WAIT
    #: `serve`: on SIGTERM or Ctrl-C, how long requests in flight may take to finish
    #: (their batches commit and are answered) before the server stops anyway.
    shutdown_grace_seconds: Annotated[int, Field(ge=0)] = 30
    #: A SQLite store's writer connection's page cache, in MiB: each MiB is RSS; less makes
    #: ingest into a store larger than it slower (see stores.sqlite.store).
    sqlite_cache_mib: Annotated[int, Field(ge=1)] = DEFAULT_WRITER_CACHE_MIB


class Neo4jCredentials(BaseSettings):
    """`NEO4J_USER` (default `neo4j`) and `NEO4J_PASSWORD`, for a Neo4j store URL without
    credentials. Credentials in the URL take precedence."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    user: str = "neo4j"
    password: SecretStr | None = None

    def auth(self) -> tuple[str, str] | None:
        """(user, password), or None without a password (a server with auth disabled)."""
        if self.password is None or not self.password.get_secret_value():
            return None
        return self.user, self.password.get_secret_value()


_S = TypeVar("_S", bound=BaseSettings)


def from_environment(kind: type[_S]) -> _S:
    """`kind` read from the environment; ConfigError naming each bad variable and why,
    never its value (NEO4J_PASSWORD is one of them)."""
    try:
        return kind()
    except ValidationError as exc:
        prefix = str(kind.model_config.get("env_prefix", ""))
        bad = "; ".join(
            f"{prefix}{str(e['loc'][0] if e['loc'] else '').upper()}: {e['msg'].lower()}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid environment variable: {bad}") from None


def runtime_settings() -> RuntimeSettings:
    return from_environment(RuntimeSettings)


def build_service(
    store_url: str,
    config_path: Path | None,
    credentials: Neo4jCredentials | None = None,
    write_wait: float | None = None,
) -> IdentityService:
    """`credentials` default to the environment's NEO4J_USER/NEO4J_PASSWORD, `write_wait`
    to IDENTITY_GRAPH_WRITE_WAIT_SECONDS; a SQLite writer's cache is
    IDENTITY_GRAPH_SQLITE_CACHE_MIB."""
    settings: Settings = load_settings(config_path)
    creds = credentials if credentials is not None else from_environment(Neo4jCredentials)
    runtime = runtime_settings()
    wait = write_wait if write_wait is not None else runtime.write_wait_seconds
    return IdentityService.open(
        store_url,
        settings,
        neo4j_auth=creds.auth(),
        write_wait=wait,
        sqlite_cache_mib=runtime.sqlite_cache_mib,
    )
