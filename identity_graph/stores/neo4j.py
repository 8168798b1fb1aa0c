"""The production store: Neo4j 5.26 over Bolt (`neo4j://`, `bolt://`, with `+s`/`+ssc`).

Every query is a named file of `identity_graph/cypher/` (see `stores.cypher`); values are
parameters, batch writes are one `UNWIND $rows AS row ...` per row kind. A write unit of
work is one explicit driver transaction: leaving the block commits, an exception rolls
back. Its first statement locks the `(:Meta {name: 'write_lock'})` node, so batches are
applied one at a time across every process writing to the database, as the core expects
(it decides merges from what it read inside the transaction). Reads outside a unit of work
are routed to readers (`RoutingControl.READ`) and share the driver's bookmarks with the
writes, so a read after a committed batch sees it, on a cluster too.

Driver errors are translated into `StoreError`/`ConfigError` naming the query (and with
its text, which holds no values); the server's message is kept only where it cannot carry
parameter values, which are personal data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar
from urllib.parse import SplitResult, unquote, urlsplit

import neo4j
from neo4j import exceptions as nx

from identity_graph.errors import ConfigError, IdentityGraphError, StoreError
from identity_graph.stores import NEO4J_SCHEMES
from identity_graph.stores.contract import EXPORT_KINDS
from identity_graph.stores.cypher_files import Query, query, statements
from identity_graph.stores.rows import (
    ActivityRow,
    AuditRow,
    ChangeSet,
    IdentifierState,
    LineageRow,
    LinkRow,
    ReviewRow,
)
from identity_graph.views import (
    ActivityItem,
    Identifier,
    Link,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)

__all__ = ["SCHEMA_VERSION", "SCHEMES", "Neo4jPerson", "Neo4jStore", "Neo4jTarget", "parse_url"]

SCHEMA_VERSION = "1"
SCHEMES = NEO4J_SCHEMES

# Relationship types cannot be parameters: one fixed query per activity kind, chosen from
# this closed mapping (kind, target label) -> query name; anything else is refused.
_ACTIVITY_QUERIES: Mapping[tuple[str, str], str] = {
    ("PURCHASED", "Product"): "activity_purchased",
    ("VIEWED", "Product"): "activity_viewed",
    ("EXPOSED_TO", "Campaign"): "activity_exposed_to",
    ("OPENED_CASE", "Case"): "activity_opened_case",
    ("CLOSED_CASE", "Case"): "activity_closed_case",
}
_LINEAGE_QUERIES: Mapping[str, str] = {
    "MERGED_INTO": "lineage_merged_into",
    "SPLIT_FROM": "lineage_split_from",
}
# Server messages of these codes name query text or parameter names, never values.
_SAFE_MESSAGE_CODES = frozenset(
    {
        "Neo.ClientError.Statement.SyntaxError",
        "Neo.ClientError.Statement.ParameterMissing",
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    }
)
_SCHEMA_RACE_CODES = frozenset(
    {
        "Neo.ClientError.Schema.ConstraintAlreadyExists",
        "Neo.ClientError.Schema.IndexAlreadyExists",
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
    }
)
R = TypeVar("R")
# Append-only rows are numbered unit of work * _SEQ_PER_TX + position in it.
_SEQ_PER_TX = 1_000_000
_DATABASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-_]*")


# -- URLs ------------------------------------------------------------------------------


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


# -- errors ----------------------------------------------------------------------------


def _translate(exc: Exception, where: str, q: Query | None) -> IdentityGraphError:
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
        if isinstance(exc, nx.TransientError):
            return StoreError(
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


# -- rows ------------------------------------------------------------------------------


@dataclass(slots=True)
class Neo4jPerson:
    person_id: str
    created_at: str
    updated_at: str
    merged_into: str | None


def _identifier(r: neo4j.Record) -> Identifier:
    return Identifier(
        key=r["key"],
        type=r["type"],
        value=r["value"],
        first_seen=r["first_seen"],
        last_seen=r["last_seen"],
        hub=bool(r["is_hub"]),
        hub_reason=r["hub_reason"],
    )


def _link(r: neo4j.Record) -> Link:
    return Link(
        a=r["a"],
        b=r["b"],
        weight=float(r["weight"]),
        kind=r["kind"],
        status=r["status"],
        sources=list(r["sources"] or []),
        evidence=json.loads(r["evidence"] or "{}"),
        count=int(r["count"]),
        first_seen=r["first_seen"],
        last_seen=r["last_seen"],
    )


def _review(r: neo4j.Record) -> ReviewRow:
    return ReviewRow(
        a=r["a"],
        b=r["b"],
        probability=float(r["probability"]),
        evidence=r["evidence"],
        fingerprint=r["fingerprint"],
        status=r["status"],
        created_at=r["created_at"],
        decided_at=r["decided_at"],
        decided_by=r["decided_by"],
        comment=r["comment"],
    )


def _audit(r: neo4j.Record) -> AuditRow:
    return AuditRow(
        at=r["at"], actor=r["actor"], action=r["action"], subject=r["subject"], detail=r["detail"]
    )


def _fold_links(links: Sequence[LinkRow]) -> list[dict[str, Any]]:
    """One row per pair: rows of one pair applied in order, as the store applies each row
    to the stored link (the strongest evidence wins kind, ties to the later; the last
    non-empty evidence; the last status other than 'active'; sources in order of first
    appearance)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in links:
        cur = out.get((r.a, r.b))
        if cur is None:
            out[(r.a, r.b)] = {
                "a": r.a,
                "b": r.b,
                "weight": r.weight,
                "kind": r.kind,
                "sources": [r.source],
                "evidence": r.evidence,
                "count": r.count,
                "first_seen": r.first_seen,
                "last_seen": r.last_seen,
                "status": r.status,
            }
            continue
        if r.weight >= cur["weight"]:
            cur["kind"] = r.kind
            cur["weight"] = r.weight
        if r.evidence != "{}":
            cur["evidence"] = r.evidence
        if r.status != "active":
            cur["status"] = r.status
        if r.source not in cur["sources"]:
            cur["sources"].append(r.source)
        cur["count"] += r.count
        cur["first_seen"] = min(cur["first_seen"], r.first_seen)
        cur["last_seen"] = max(cur["last_seen"], r.last_seen)
    return list(out.values())


def _fields(row: Any) -> dict[str, Any]:
    """A ChangeSet row (slotted dataclass) as query parameters, field by field."""
    return {name: getattr(row, name) for name in row.__slots__}


_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Labels of the store's own nodes: a type named `person` must not make an identifier a Person.
_STORE_LABELS = frozenset(
    {
        "Audit",
        "Campaign",
        "Case",
        "Identifier",
        "MatchModel",
        "Message",
        "Meta",
        "Person",
        "Product",
        "Record",
        "RefusedMerge",
        "Review",
    }
)


def type_label(type_: str) -> str:
    """The label an identifier of `type_` carries beside `Identifier`, for Neo4j Browser
    colours: `device_id` -> `DeviceId`. Labels cannot be parameters of fixed query text, so
    `create_identifiers` sets it dynamically (`$(row.label)`): only a strictly checked type
    name (`^[a-z][a-z0-9_]*$`) becomes a label, anything else fails the batch."""
    if not _TYPE_NAME.fullmatch(type_):
        raise StoreError(
            f"identifier type {type_!r} cannot become a Neo4j label: expected lower-case "
            "letters, digits and '_', starting with a letter"
        )
    label = "".join(part.capitalize() for part in type_.split("_"))
    if label in _STORE_LABELS:
        raise StoreError(f"identifier type {type_!r} would carry the store's own label {label}")
    return label


def _activity_query(r: ActivityRow) -> str:
    name = _ACTIVITY_QUERIES.get((r.kind, r.target_type))
    if name is None:
        raise StoreError(f"unknown activity {r.kind} -> {r.target_type}")
    return name


def _lineage_query(r: LineageRow) -> str:
    name = _LINEAGE_QUERIES.get(r.kind)
    if name is None:
        raise StoreError(f"unknown lineage kind {r.kind}")
    return name


def _by_query(rows: Iterable[R], name_of: Callable[[R], str]) -> dict[str, list[dict[str, Any]]]:
    """Rows grouped by the fixed query (relationship type) that writes them."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(name_of(r), []).append(_fields(r))
    return out


def _merge_rows(merges: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """(loser, winner) pairs in order -> rows whose `target` is the end of each loser's merge
    chain in this batch, so the UNWIND's rows do not depend on each other's writes."""
    winner_of = dict(merges)

    def end(pid: str) -> str:
        seen = {pid}
        while pid in winner_of:
            pid = winner_of[pid]
            if pid in seen:  # cannot happen (union-find); never loop forever
                raise StoreError("merge cycle in one batch")
            seen.add(pid)
        return pid

    return [{"loser": lo, "winner": w, "target": end(w)} for lo, w in merges]


# -- the write transaction -------------------------------------------------------------


class Neo4jTx:
    """`StoreTx` over one explicit driver transaction."""

    def __init__(self, tx: neo4j.Transaction, where: str, number: int) -> None:
        self._tx = tx
        self._where = where
        # Orders append-only rows (refused merges, audit): units of work are serialized.
        self._seq = number * _SEQ_PER_TX

    def _records(self, name: str, **params: Any) -> list[neo4j.Record]:
        q = query(name)
        try:
            return list(self._tx.run(q.text, params))
        except (nx.Neo4jError, nx.DriverError) as exc:
            raise _translate(exc, self._where, q) from None

    def _write(self, name: str, rows: Sequence[object], **params: Any) -> None:
        """One batch write: `UNWIND $rows AS row ...`; no round trip without rows."""
        if not rows:
            return
        q = query(name)
        try:
            self._tx.run(q.text, {"rows": rows, **params}).consume()
        except (nx.Neo4jError, nx.DriverError) as exc:
            raise _translate(exc, self._where, q) from None

    # reads (they see this transaction's own writes)

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]:
        if not message_ids:
            return set()
        return {r[0] for r in self._records("seen_messages", ids=list(message_ids))}

    def identifier_states(self, keys: Sequence[str]) -> dict[str, IdentifierState]:
        if not keys:
            return {}
        return {
            r["key"]: IdentifierState(r["person_id"], bool(r["is_hub"]), tuple(r["joined"] or ()))
            for r in self._records("identifier_states", keys=list(keys))
        }

    def person_type_counts(self, person_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        if person_ids:
            for r in self._records("person_type_counts", ids=list(person_ids)):
                out.setdefault(r["person_id"], {})[r["type"]] = int(r["n"])
        return out

    def link_statuses(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        if not pairs:
            return {}
        rows = [{"a": a, "b": b} for a, b in pairs]
        return {(r["a"], r["b"]): r["status"] for r in self._records("link_statuses", rows=rows)}

    def cannot_links(self, person_ids: Sequence[str]) -> list[tuple[str, str]]:
        if not person_ids:
            return []
        return [(r["x"], r["y"]) for r in self._records("cannot_links", ids=list(person_ids))]

    def reviews_by_pair(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ReviewRow]:
        if not pairs:
            return {}
        rows = [{"a": a, "b": b} for a, b in pairs]
        return {(r["a"], r["b"]): _review(r) for r in self._records("reviews_by_pair", rows=rows)}

    def save_model(self, version: str, created_at: str, body: str) -> None:
        self._records("save_model", version=version, created_at=created_at, body=body)

    def person_graph(self, person_id: str) -> tuple[list[tuple[str, bool]], list[Link]]:
        keys = [
            (r["key"], bool(r["is_hub"]))
            for r in self._records("person_members", person_id=person_id)
        ]
        return keys, [_link(r) for r in self._records("person_links", person_id=person_id)]

    # the batch

    def apply(self, ch: ChangeSet) -> None:
        """Applied in the order SQLite applies it: merges before identifier upserts,
        assignments after them, links before their refusal, lineage and touches last.
        One UNWIND per row kind; kinds without rows cost no round trip."""
        at = ch.at
        self._write("add_messages", [{"id": m, "at": a} for m, a in ch.message_ids])
        self._write("add_persons", [_fields(p) for p in ch.new_persons])
        self._write("merge_persons", _merge_rows(ch.merges), at=at)
        # IdentifierRow.person_id is set for the identifiers new in this batch only.
        new_ids = [
            {**_fields(r), "label": type_label(r.type)} for r in ch.identifiers if r.person_id
        ]
        self._write("create_identifiers", new_ids)
        self._write(
            "widen_identifiers",
            [
                {"key": r.key, "first_seen": r.first_seen, "last_seen": r.last_seen}
                for r in ch.identifiers
                if not r.person_id
            ],
        )
        self._write(
            "assign_identifiers",
            [{"key": k, "person_id": p} for k, p in ch.assignments.items()],
        )
        # A link with an end created just now cannot exist yet: CREATE, not MERGE.
        created = {row["key"] for row in new_ids}
        new_links: list[dict[str, Any]] = []
        known_links: list[dict[str, Any]] = []
        for row in _fold_links(ch.links):
            fresh = row["a"] in created or row["b"] in created
            (new_links if fresh else known_links).append(row)
        self._write("create_links", new_links)
        self._write("upsert_links", known_links)
        self._write("refuse_links", [{"a": a, "b": b} for a, b in ch.refused_links])
        for name, rows in _by_query(ch.activity, _activity_query).items():
            self._write(name, rows)
        self._write("upsert_records", [_fields(r) for r in ch.records])
        self._write(
            "add_refused_merges",
            [{**_fields(r), "seq": self._next_seq()} for r in ch.refused_merges],
        )
        self._write("flag_hubs", [_fields(h) for h in ch.hubs])
        self._write("set_joined", [{"key": k, "persons": list(p)} for k, p in ch.joined.items()])
        for name, rows in _by_query(ch.lineage, _lineage_query).items():
            self._write(name, rows)
        if ch.touched_persons:
            self._records("touch_persons", ids=sorted(ch.touched_persons), at=at)
        self._write("upsert_reviews", [_fields(r) for r in ch.reviews])
        self._write("add_audit", [{**_fields(r), "seq": self._next_seq()} for r in ch.audit])

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert exported rows by their identity (see `EXPORT_KINDS`): one UNWIND per
        query; activity and lineage go to the fixed query of their relationship type."""
        if kind not in EXPORT_KINDS:
            raise StoreError(f"unknown kind of rows to import: {kind!r}")
        if not rows:
            return
        if kind == "activity":
            for name, part in _group_rows(rows, _IMPORT_ACTIVITY_QUERIES, "target_type").items():
                self._write(name, part)
            return
        if kind == "lineage":
            for name, part in _group_rows(rows, _IMPORT_LINEAGE_QUERIES, None).items():
                self._write(name, part)
            return
        if kind == "identifiers":
            # The type label (Neo4j Browser colours), as create_identifiers sets it.
            rows = [
                {
                    **r,
                    "is_hub": bool(r["is_hub"]),
                    "joined": list(r["joined"] or []),  # type: ignore[call-overload]
                    "label": type_label(str(r["type"])),
                }
                for r in rows
            ]
        self._write(f"import_{kind}", list(rows))
        if kind in ("refused_merges", "audit"):
            # Later units of work must number their rows after the copied ones.
            top = max(int(r["seq"]) for r in rows)  # type: ignore[call-overload]
            self._records("import_write_lock", tx=top // _SEQ_PER_TX + 1)


# -- the store -------------------------------------------------------------------------


class Neo4jStore:
    """`GraphStore` on a Neo4j 5.26 database.

    `url` is `neo4j://`, `neo4j+s://`, `neo4j+ssc://`, `bolt://`, `bolt+s://` or
    `bolt+ssc://`, optionally with `user:password@` (which takes precedence over `auth`)
    and a database name as its path (else `database`, else the user's home database).
    """

    def __init__(
        self, url: str, auth: tuple[str, str] | None = None, database: str | None = None
    ) -> None:
        target = parse_url(url, auth, database)
        self.url = target.display  # never the password: the CLI prints it
        self._where = target.display
        self._database = target.database
        try:
            self._driver = neo4j.GraphDatabase.driver(
                target.uri,
                auth=neo4j.basic_auth(*target.auth) if target.auth is not None else None,
                # Unknown labels, types and properties are normal on a young graph (no
                # purchase yet); performance and deprecation notifications stay on.
                notifications_disabled_classifications=[
                    neo4j.NotificationDisabledClassification.UNRECOGNIZED
                ],
            )
        except (nx.Neo4jError, nx.DriverError, ValueError) as exc:
            raise ConfigError(
                f"cannot configure the Neo4j driver for {self._where}: {exc}"
            ) from None
        self._bookmarks = self._driver.execute_query_bookmark_manager
        try:
            self._connect()
            self._init_schema()
        except BaseException:
            self._driver.close()
            raise

    # -- plumbing ----------------------------------------------------------------------

    def _fail(self, exc: Exception, q: Query | None) -> NoReturn:
        raise _translate(exc, self._where, q) from None

    def _execute(
        self, q: Query, params: Mapping[str, Any] | None = None, *, write: bool = False
    ) -> list[neo4j.Record]:
        try:
            result = self._driver.execute_query(
                q.text,
                dict(params or {}),
                routing_=neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ,
                database_=self._database,
            )
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, q)
        return list(result.records)

    def _session(self, access_mode: str) -> neo4j.Session:
        return self._driver.session(
            database=self._database,
            default_access_mode=access_mode,
            bookmark_manager=self._bookmarks,
        )

    def _connect(self) -> None:
        """Fail fast and clearly (execute_query would retry an unreachable server for 30 s)."""
        try:
            self._driver.verify_connectivity()
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, None)

    def _init_schema(self) -> None:
        (meta,) = self._execute(query("meta_read"))
        version = meta["version"]
        if version is None and meta["has_data"]:
            raise StoreError(
                f"Neo4j at {self._where} holds data but is not an identity graph "
                "(no schema marker): use an empty database"
            )
        if version is not None and version != SCHEMA_VERSION:
            raise StoreError(
                f"Neo4j at {self._where} has identity-graph schema version {version}; this "
                f"release reads version {SCHEMA_VERSION}"
            )
        for statement in statements("schema"):
            try:
                self._driver.execute_query(statement.text, database_=self._database)
            except nx.ClientError as exc:
                # Another process starting at the same time created it first.
                if exc.code not in _SCHEMA_RACE_CODES:
                    self._fail(exc, statement)
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, statement)
        self._execute(query("meta_init"), {"version": SCHEMA_VERSION}, write=True)

    def close(self) -> None:
        self._driver.close()

    @contextmanager
    def unit_of_work(self) -> Iterator[Neo4jTx]:
        lock = query("write_lock")
        try:
            session = self._session(neo4j.WRITE_ACCESS)
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, None)
        with session:
            try:
                tx = session.begin_transaction()
                number = int(tx.run(lock.text).single(strict=True)["tx"])
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, lock)
            try:
                yield Neo4jTx(tx, self._where, number)
            except BaseException:
                # The server rolls back by itself a transaction whose connection is gone.
                with suppress(nx.Neo4jError, nx.DriverError):
                    tx.rollback()
                raise
            try:
                tx.commit()
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, None)

    def reset(self) -> None:
        """Delete the graph in batches (`CALL ... IN TRANSACTIONS` needs an auto-commit
        transaction); the schema and the Meta nodes stay."""
        q = query("reset")
        try:
            with self._session(neo4j.WRITE_ACCESS) as session:
                session.run(q.text).consume()
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, q)

    # -- reads -------------------------------------------------------------------------

    def person(self, person_id: str) -> Neo4jPerson | None:
        rows = self._execute(query("person"), {"person_id": person_id})
        if not rows:
            return None
        r = rows[0]
        return Neo4jPerson(r["person_id"], r["created_at"], r["updated_at"], r["merged_into"])

    def identifier(self, key: str) -> tuple[Identifier, str] | None:
        rows = self._execute(query("identifier"), {"key": key})
        return None if not rows else (_identifier(rows[0]), rows[0]["person_id"])

    def person_identifiers(self, person_id: str) -> list[Identifier]:
        return [
            _identifier(r)
            for r in self._execute(query("person_identifiers"), {"person_id": person_id})
        ]

    def person_links(self, person_id: str) -> list[Link]:
        return [_link(r) for r in self._execute(query("person_links"), {"person_id": person_id})]

    def activity(self, keys: Sequence[str]) -> list[ActivityItem]:
        if not keys:
            return []
        return [
            ActivityItem(
                identifier=r["key"],
                kind=r["kind"],
                target_type=r["target_type"],
                target_id=r["target_id"],
                count=int(r["count"]),
                first_at=r["first_at"],
                last_at=r["last_at"],
                amount=float(r["amount"]),
            )
            for r in self._execute(query("activity"), {"keys": list(keys)})
        ]

    def records(self, keys: Sequence[str]) -> list[SourceRecord]:
        if not keys:
            return []
        return [
            SourceRecord(
                source=r["source"],
                record_id=r["record_id"],
                identifier=r["key"],
                attributes=json.loads(r["attributes"]),
                observed_at=r["observed_at"],
            )
            for r in self._execute(query("records"), {"keys": list(keys)})
        ]

    def refused_merges(self, limit: int = 100) -> list[RefusedMerge]:
        return [
            RefusedMerge(
                a=r["a"],
                b=r["b"],
                person_a=r["person_a"],
                person_b=r["person_b"],
                rule=r["rule"],
                reason=r["reason"],
                at=r["at"],
            )
            for r in self._execute(query("refused_merges"), {"limit": int(limit)})
        ]

    def hubs(self, limit: int = 100) -> list[Identifier]:
        return [_identifier(r) for r in self._execute(query("hubs"), {"limit": int(limit)})]

    def stats(self) -> StoreStats:
        (r,) = self._execute(query("stats"))
        return StoreStats(**{name: int(r[name]) for name in StoreStats.model_fields})

    def all_records(self) -> Iterator[SourceRecord]:
        """Streamed from one auto-commit read."""
        for r in self._stream(query("all_records")):
            yield SourceRecord(
                source=r["source"],
                record_id=r["record_id"],
                identifier=r["key"],
                attributes=json.loads(r["attributes"]),
                observed_at=r["observed_at"],
            )

    def latest_model(self) -> tuple[str, str] | None:
        rows = self._execute(query("latest_model"))
        return None if not rows else (rows[0]["version"], rows[0]["body"])

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int = 0,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> list[ReviewRow]:
        params: dict[str, Any] = {
            "limit": int(limit),
            "offset": int(offset),
            "min_probability": float(min_probability),
            "max_probability": float(max_probability),
        }
        if status is None:
            return [_review(r) for r in self._execute(query("reviews"), params)]
        params["status"] = status
        return [_review(r) for r in self._execute(query("reviews_with_status"), params)]

    def review(self, a: str, b: str) -> ReviewRow | None:
        rows = self._execute(query("reviews_by_pair"), {"rows": [{"a": a, "b": b}]})
        return _review(rows[0]) if rows else None

    def count_reviews(self, status: str | None) -> int:
        if status is None:
            (r,) = self._execute(query("count_reviews"))
        else:
            (r,) = self._execute(query("count_reviews_with_status"), {"status": status})
        return int(r["n"])

    def audit_log(self, limit: int = 100, subject: str | None = None) -> list[AuditRow]:
        if subject is None:
            rows = self._execute(query("audit_log"), {"limit": int(limit)})
        else:
            rows = self._execute(
                query("audit_log_subject"), {"limit": int(limit), "subject": subject}
            )
        return [_audit(r) for r in rows]

    def links_touching(self, keys: Sequence[str]) -> list[Link]:
        if not keys:
            return []
        return [_link(r) for r in self._execute(query("links_touching"), {"keys": list(keys)})]

    def _stream(self, q: Query) -> Iterator[neo4j.Record]:
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                yield from session.run(q.text)
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, q)

    def assignments(self) -> Iterator[tuple[str, str]]:
        """Streamed from one auto-commit read: nothing is held in memory."""
        for r in self._stream(query("assignments")):
            yield r[0], r[1]

    def export(self, kind: str) -> Iterator[dict[str, object]]:
        """Every row of one kind (see `EXPORT_KINDS`), streamed from one auto-commit read."""
        if kind not in EXPORT_KINDS:
            raise StoreError(f"unknown kind of rows to export: {kind!r}")
        for r in self._stream(query(f"export_{kind}")):
            row: dict[str, object] = dict(r)
            if kind == "identifiers":
                row["is_hub"] = bool(row["is_hub"])
                row["joined"] = list(row["joined"] or [])  # type: ignore[call-overload]
            elif kind == "links":
                row["sources"] = list(row["sources"] or [])  # type: ignore[call-overload]
            yield row

    def row_counts(self) -> dict[str, int]:
        (r,) = self._execute(query("export_counts"))
        return {kind: int(r[kind]) for kind in EXPORT_KINDS}


# -- copies between stores (migrate) ------------------------------------------------------

# Relationship types cannot be parameters: (kind, target label) -> fixed import query.
_IMPORT_ACTIVITY_QUERIES: Mapping[tuple[str, str | None], str] = {
    (kind, target): f"import_{name}" for (kind, target), name in _ACTIVITY_QUERIES.items()
}
_IMPORT_LINEAGE_QUERIES: Mapping[tuple[str, str | None], str] = {
    (kind, None): f"import_{name}" for kind, name in _LINEAGE_QUERIES.items()
}


def _group_rows(
    rows: Iterable[Mapping[str, object]],
    queries: Mapping[tuple[str, str | None], str],
    second: str | None,
) -> dict[str, list[Mapping[str, object]]]:
    """Rows grouped by the fixed query of their (kind[, `second` field]); unknown refused."""
    out: dict[str, list[Mapping[str, object]]] = {}
    for r in rows:
        wanted = (str(r["kind"]), str(r[second]) if second else None)
        name = queries.get(wanted)
        if name is None:
            raise StoreError(f"unknown {' -> '.join(w for w in wanted if w)} in rows to import")
        out.setdefault(name, []).append(r)
    return out
