"""Neo4j store URLs: `scheme://[user[:password]@]host[:port][/database][?routing context]`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from identity_graph.errors import ConfigError
from identity_graph.stores import NEO4J_SCHEMES

SCHEMES = NEO4J_SCHEMES
_DATABASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]*")


@dataclass(frozen=True, slots=True)
class Neo4jTarget:
    """What a store URL names: the driver URI (no credentials, no path), the credentials,
    the database, and `display`, the URL without its password (safe to print)."""

    uri: str
    auth: tuple[str, str] | None
    database: str | None
    display: str


def parse_url(
    url: str, auth: tuple[str, str] | None = None, database: str | None = None
) -> Neo4jTarget:
    """Parse `scheme://[user[:password]@]host[:port][/database][?routing context]`.

    Credentials in the URL take precedence over `auth`; a URL that names only a user takes
    the password from `auth`. A database in the path and a different `database` conflict.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"malformed Neo4j URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigError(
            f"not a Neo4j URL scheme: {scheme or '(none)'}: expected one of "
            f"{', '.join(sorted(SCHEMES))}"
        )
    host = parts.hostname
    if not host:
        raise ConfigError(f"a Neo4j URL needs a host: {scheme}://HOST:7687")
    if parts.fragment:
        raise ConfigError("a Neo4j URL takes no #fragment")
    path = unquote(parts.path.strip("/"))
    if path and not _DATABASE_NAME.fullmatch(path):
        raise ConfigError(
            f"the path of a Neo4j URL is the database name, got {path!r} "
            "(letters, digits, '.', '-', '_')"
        )
    if path and database is not None and path != database:
        raise ConfigError(f"the URL names database {path!r}, the settings name {database!r}")
    db = path or database or None

    resolved: tuple[str, str] | None = auth
    if parts.username is not None:
        user = unquote(parts.username)
        if parts.password is not None:
            resolved = (user, unquote(parts.password))
        elif auth is not None:
            resolved = (user, auth[1])
        else:
            raise ConfigError(
                "the Neo4j URL names a user but no password: give user:password@ in the URL "
                "or set NEO4J_PASSWORD"
            )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    uri = f"{scheme}://{netloc}" + (f"?{parts.query}" if parts.query else "")
    shown = SplitResult(
        scheme,
        (f"{parts.username}@" if parts.username is not None else "") + netloc,
        f"/{db}" if db else "",
        parts.query,
        "",
    ).geturl()
    return Neo4jTarget(uri=uri, auth=resolved, database=db, display=shown)
