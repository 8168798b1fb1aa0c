"""The production store: Neo4j 5.26 over Bolt (`neo4j://`, `bolt://`, with `+s`/`+ssc`).

Every query is a named file of `identity_graph/cypher/` (see `stores.cypher_files`); values
are parameters, batch writes are one `UNWIND $rows AS row ...` per row kind. A write unit of
work is one explicit driver transaction: leaving the block commits, an exception rolls
back. Its first statement locks the `(:Meta {name: 'write_lock'})` node, so batches are
applied one at a time across every process writing to the database, as the core expects
(it decides merges from what it read inside the transaction); within one process they
wait for their turn at most `write_wait` seconds (`admission.WriteGate`), then raise Busy.
A transient failure (deadlock, lock timeout, leader switch) raises `TransientStoreError`:
the unit of work was rolled back and the caller may run it again (the ingest use case
does, a few times). `reader()` is one explicit
read transaction routed to readers (`READ_ACCESS`); sessions share the driver's bookmarks,
so a read after a committed batch sees it, on a cluster too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from itertools import islice
from typing import Any, NoReturn

import neo4j
from neo4j import exceptions as nx

from identity_graph.errors import ConfigError, StoreError
from identity_graph.stores.admission import DEFAULT_WRITE_WAIT, WriteGate
from identity_graph.stores.cypher_files import Query, query, statements
from identity_graph.stores.neo4j.errors import SCHEMA_RACE_CODES, translate
from identity_graph.stores.neo4j.reads import Neo4jReads
from identity_graph.stores.neo4j.url import parse_url
from identity_graph.stores.neo4j.writes import Neo4jTx

SCHEMA_VERSION = "3"
# Earlier versions this release upgrades in place: version 2 added a constraint and an
# index; version 3 adds constraints and indexes, keys activity by UTC day and gives records
# their `attr_*` properties (`_upgrade`).
UPGRADES_FROM = frozenset({"1", "2"})
# Rows rewritten per transaction by an upgrade.
_UPGRADE_BATCH = 5_000
# Neo4j Browser's display properties (stores/neo4j/browser.py); a database whose nodes
# carry an older version (or none) is rewritten once, kind by kind, when opened.
DISPLAY_VERSION = "1"
_DISPLAY_KINDS = ("persons", "identifiers", "links", "reviews")


class Neo4jStore:
    """`GraphStore` on a Neo4j 5.26 database.

    `url` is `neo4j://`, `neo4j+s://`, `neo4j+ssc://`, `bolt://`, `bolt+s://` or
    `bolt+ssc://`, optionally with `user:password@` (which takes precedence over `auth`)
    and a database name as its path (else `database`, else the user's home database).
    """

    def __init__(
        self,
        url: str,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        write_wait: float = DEFAULT_WRITE_WAIT,
    ) -> None:
        target = parse_url(url, auth, database)
        self.url = target.display  # never the password: the CLI prints it
        self._where = target.display
        self._gate = WriteGate(write_wait, f"Neo4j at {target.display}")
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
        raise translate(exc, self._where, q) from None

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
        if version is not None and version != SCHEMA_VERSION and version not in UPGRADES_FROM:
            raise StoreError(
                f"Neo4j at {self._where} has identity-graph schema version {version}; this "
                f"release reads version {SCHEMA_VERSION} (it adds consent, segments, "
                "destinations, the export ledger and activity by day): use an empty database"
            )
        for statement in statements("schema"):
            try:
                self._driver.execute_query(statement.text, database_=self._database)
            except nx.ClientError as exc:
                # Another process starting at the same time created it first.
                if exc.code not in SCHEMA_RACE_CODES:
                    self._fail(exc, statement)
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, statement)
        # The salt is only used when the deployment's salt node does not exist yet.
        self._execute(
            query("meta_init"),
            {"version": SCHEMA_VERSION, "salt": secrets.token_hex(32)},
            write=True,
        )
        if version in UPGRADES_FROM:
            # After the additive schema: an interrupted upgrade simply runs again.
            self._upgrade()
            self._execute(query("meta_upgrade"), {"version": SCHEMA_VERSION}, write=True)
        (display,) = self._execute(query("display_version"))
        if display["version"] != DISPLAY_VERSION:
            if meta["has_data"]:
                self._rewrite(_DISPLAY_KINDS)
            self._execute(query("set_display_version"), {"version": DISPLAY_VERSION}, write=True)

    def _upgrade(self) -> None:
        """Rewrite what schema 3 stores differently; each step is idempotent."""
        self._execute(query("upgrade_activity_days"), write=True)
        # Records gain their attr_* properties: each rewritten as a copy would import it.
        self._rewrite(("records",))

    def _rewrite(self, kinds: tuple[str, ...]) -> None:
        """Every row of `kinds` rewritten as a copy would import it (same values; what the
        store derives from them, such as display properties, written anew)."""
        for kind in kinds:
            with self.reader() as r:
                rows = r.scan(kind)
                while batch := list(islice(rows, _UPGRADE_BATCH)):
                    with self.unit_of_work() as tx:
                        tx.import_rows(kind, batch)

    @property
    def writes_waiting(self) -> int:
        """Writes of this process waiting for their turn now (the write queue's depth)."""
        return self._gate.waiting

    def close(self) -> None:
        # A write still in progress commits or fails whole before the driver goes.
        self._gate.close(timeout=self._gate.wait)
        self._driver.close()

    def ping(self) -> None:
        # Connectivity first: it fails at once on a refused connection, where a query
        # would be retried for 30 s.
        self._connect()
        self._execute(query("meta_read"))

    @contextmanager
    def reader(self) -> Iterator[Neo4jReads]:
        """One read transaction: its reads see one consistent state."""
        try:
            session = self._session(neo4j.READ_ACCESS)
        except (nx.Neo4jError, nx.DriverError) as exc:
            self._fail(exc, None)
        with session:
            try:
                tx = session.begin_transaction()
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, None)
            try:
                yield Neo4jReads(tx, self._where)
            finally:
                with suppress(nx.Neo4jError, nx.DriverError):
                    tx.close()

    @contextmanager
    def unit_of_work(self) -> Iterator[Neo4jTx]:
        with self._gate.turn(), self._write_transaction() as tx:
            yield tx

    @contextmanager
    def _write_transaction(self) -> Iterator[Neo4jTx]:
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

    def purge_deleted(self) -> bool:
        """Nothing the driver can do: Neo4j's own transaction logs keep deleted values until
        the server prunes them (`db.tx_log.rotation.retention_policy`, README "Erasure")."""
        return True

    def reset(self) -> None:
        """Delete the graph in batches, its relationships first, then its nodes
        (`CALL ... IN TRANSACTIONS` needs an auto-commit transaction); the schema and the
        Meta nodes stay."""
        for name in ("reset_relationships", "reset"):
            q = query(name)
            try:
                with self._session(neo4j.WRITE_ACCESS) as session:
                    session.run(q.text).consume()
            except (nx.Neo4jError, nx.DriverError) as exc:
                self._fail(exc, q)
