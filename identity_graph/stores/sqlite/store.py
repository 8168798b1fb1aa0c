"""The embedded store: one SQLite file in WAL mode, no server.

Durability: WAL with `synchronous = NORMAL` (the default) keeps every committed batch
across a crash of the process; a power cut may lose the last commits. Pass
`synchronous="FULL"` to survive power loss too, at about twice the commit cost here.

Writes go through one connection, one at a time (SQLite has one writer anyway), inside
`BEGIN IMMEDIATE`; reads use one connection per thread, each `reader()` block one read
transaction (a snapshot), so the API serves lookups concurrently with ingestion. A write
waits at most `write_wait` seconds for its turn in this process (`admission.WriteGate`),
then as long again for SQLite's lock, which another process (a second API worker, a CLI
ingest) may hold; past that it raises `Busy`, as does any "database is locked". sqlite3
error messages hold SQL text and names, never bound values: they are kept in `StoreError`.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from identity_graph.errors import ConfigError, StoreError
from identity_graph.stores.admission import DEFAULT_WRITE_WAIT, WriteGate, busy
from identity_graph.stores.sql import reads, schema, writes
from identity_graph.stores.sql import upgrade as upgrade_sql
from identity_graph.stores.sqlite.checkpoint import Checkpointer
from identity_graph.stores.sqlite.reads import SQLiteReads
from identity_graph.stores.sqlite.writes import SQLiteTx

SCHEMA_VERSION = "4"
# Earlier versions this release upgrades in place: version 3 added a table and indexes,
# version 4 adds tables and keys activity by UTC day (its rows are copied, see `upgrade`).
UPGRADES_FROM = frozenset({"2", "3"})
_SYNCHRONOUS = {
    "FULL": "PRAGMA synchronous = FULL",
    "NORMAL": "PRAGMA synchronous = NORMAL",
    "OFF": "PRAGMA synchronous = OFF",
}


# Page cache per connection (SQLite allocates it as pages are read). The writer's
# is larger: a batch inserts at random keys all over the B-trees, and once they outgrow the
# cache every insert reads a page from the file (200,000 events, a 377 MiB store: 30% faster
# with 512 MiB than with 64, for 340 MiB more RSS; bench/RESULTS.md).
READER_CACHE = "PRAGMA cache_size = -65536"  # 64 MiB
# The writer's, unless the process is told otherwise (IDENTITY_GRAPH_SQLITE_CACHE_MIB): less
# saves RSS for a slower ingest once the store outgrows it; more did not help (4 GiB over
# the first 2M events, bench/RESULTS.md): the OS page cache serves the reads it saves, and
# the time goes to writing dirty pages, which a larger cache does not reduce.
DEFAULT_WRITER_CACHE_MIB = 512


def cache_pragma(mib: int) -> str:
    """The page cache of `mib` MiB: a negative cache_size counts KiB, not pages. A PRAGMA
    takes no bound parameters: the value is checked to be an int, then written in."""
    if not isinstance(mib, int) or isinstance(mib, bool) or mib < 1:
        raise ConfigError(f"the SQLite cache must be a whole number of MiB >= 1, got {mib!r}")
    return f"PRAGMA cache_size = {-mib * 1024}"


_SECURE_DELETE = {True: "PRAGMA secure_delete = ON", False: "PRAGMA secure_delete = OFF"}


def path_from_url(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise ConfigError(f"not a SQLite store URL: {url!r} (expected sqlite:///PATH)")
    raw = url.removeprefix("sqlite:///")
    if not raw or raw == ":memory:":
        raise ConfigError("a SQLite store needs a file path: sqlite:///path/graph.db")
    return Path(raw)


class SQLiteStore:
    """`GraphStore` on one SQLite file."""

    def __init__(
        self,
        url: str,
        synchronous: str = "NORMAL",
        write_wait: float = DEFAULT_WRITE_WAIT,
        *,
        secure_delete: bool = True,
        cache_mib: int | None = None,
    ) -> None:
        """`cache_mib`: the writer connection's page cache (None: 512 MiB).
        `secure_delete=False` only shows what it protects against (a test): deleted rows
        then stay readable in the file's free space."""
        self.url = url
        self._secure_delete = secure_delete
        self.path = path_from_url(url)
        if synchronous not in _SYNCHRONOUS:
            raise ConfigError(f"synchronous must be FULL, NORMAL or OFF, got {synchronous!r}")
        self._synchronous = _SYNCHRONOUS[synchronous]
        if self.path.parent and not self.path.parent.exists():
            raise ConfigError(f"directory of the SQLite store does not exist: {self.path.parent}")
        self._local = threading.local()
        self._gate = WriteGate(write_wait, f"SQLite store {self.path}")
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer = self._connect(
            cache_pragma(DEFAULT_WRITER_CACHE_MIB if cache_mib is None else cache_mib)
        )
        self._init_schema()
        self._checkpoints = Checkpointer(self._connect_checkpoints)

    def _connect(self, cache: str = READER_CACHE) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=self._gate.wait,
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(self._synchronous)
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute(cache)
            # Checkpoints run on their own thread (`Checkpointer`); a commit runs one itself
            # only past 160 MiB of WAL, if that thread falls behind.
            conn.execute("PRAGMA wal_autocheckpoint = 40000")
            conn.execute("PRAGMA temp_store = MEMORY")
            # Erasure: deleted content is overwritten with zeros, in the database file and
            # in the pages the WAL gets, instead of lingering in free space.
            conn.execute(_SECURE_DELETE[self._secure_delete])
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot open SQLite store") from exc
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _connect_checkpoints(self) -> sqlite3.Connection:
        """The checkpoint thread's own connection (not in `_all`: that thread closes it)."""
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        return conn

    def _error(self, exc: sqlite3.Error, what: str = "SQLite store") -> StoreError:
        """`exc` as this package's error: Busy for a lock held past the wait."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return busy(f"SQLite store {self.path}", self._gate.wait)
        return StoreError(f"{what} {self.path}: {exc}")

    @property
    def writes_waiting(self) -> int:
        """Writes of this process waiting for their turn now (the write queue's depth)."""
        return self._gate.waiting

    def _init_schema(self) -> None:
        with self._gate.turn():
            c = self._writer
            try:
                tables = {r[0] for r in c.execute(reads.TABLES)}
                if tables and "meta" not in tables:
                    raise StoreError(f"{self.path} is an SQLite file, but not an identity graph")
                row = c.execute(reads.SCHEMA_VERSION).fetchone() if "meta" in tables else None
                upgrade = row is not None and row[0] in UPGRADES_FROM
                if row is not None and row[0] != SCHEMA_VERSION and not upgrade:
                    raise StoreError(
                        f"{self.path} has schema version {row[0]}; this release reads version "
                        f"{SCHEMA_VERSION} (it adds consent, segments, destinations, the "
                        "export ledger and activity by day): "
                        "copy it with an earlier release's `identity-graph migrate` into a "
                        "Neo4j store or re-ingest into a new file"
                    )
                text_keyed = c.execute(upgrade_sql.PROVENANCE_HAS_PK).fetchone()[0]
                if "provenance" in tables and text_keyed:
                    c.executescript(
                        upgrade_sql.PROVENANCE_BY_COLUMNS_BEFORE
                        + schema()
                        + upgrade_sql.PROVENANCE_BY_COLUMNS_AFTER
                    )
                if upgrade and not c.execute(upgrade_sql.ACTIVITY_HAS_DAY).fetchone()[0]:
                    c.executescript(
                        upgrade_sql.ACTIVITY_BY_DAY_BEFORE
                        + schema()
                        + upgrade_sql.ACTIVITY_BY_DAY_AFTER
                    )
                c.executescript(schema())
                # Read first: even an INSERT OR IGNORE takes the write lock, and opening a
                # store another process is writing to must not wait for it.
                if c.execute(reads.TOMBSTONE_SALT).fetchone() is None:
                    c.execute(writes.INIT_TOMBSTONE_SALT, {"salt": secrets.token_hex(32)})
                if row is None:
                    c.execute(writes.INIT_SCHEMA_VERSION, {"version": SCHEMA_VERSION})
                elif upgrade:
                    # After the additive schema: an interrupted upgrade simply runs again.
                    c.execute(writes.SET_SCHEMA_VERSION, {"version": SCHEMA_VERSION})
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    @property
    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        # A write still in progress (a batch of a request that outlived the shutdown grace)
        # commits or fails whole before its connection goes.
        self._gate.close(timeout=self._gate.wait)
        self._checkpoints.close()
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    def ping(self) -> None:
        try:
            self._reader.execute(reads.SCHEMA_VERSION).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    @contextmanager
    def reader(self) -> Iterator[SQLiteReads]:
        c = self._reader
        outer = not c.in_transaction
        try:
            if outer:
                c.execute("BEGIN")
            yield SQLiteReads(c)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            if outer and c.in_transaction:
                c.execute("COMMIT")

    @contextmanager
    def unit_of_work(self) -> Iterator[SQLiteTx]:
        with self._gate.turn():
            c = self._writer
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            try:
                yield SQLiteTx(c)
            except sqlite3.Error as exc:
                self._rollback(c)
                raise self._error(exc) from exc
            except BaseException:
                self._rollback(c)
                raise
            try:
                c.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback(c)
                raise self._error(exc, "commit failed:") from exc
            self._checkpoints.committed()

    @staticmethod
    def _rollback(c: sqlite3.Connection) -> None:
        # SQLite has rolled back by itself after some errors (a full disk, an interrupt).
        if c.in_transaction:
            c.execute("ROLLBACK")

    def purge_deleted(self) -> bool:
        """Checkpoint the WAL into the database file and truncate it: the WAL's older
        frames still hold deleted rows' pages (secure_delete zeroed only the new ones)."""
        with self._gate.turn(), self._checkpoints.held():
            try:
                busy_, _, _ = self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        return not busy_

    def reset(self) -> None:
        with self.unit_of_work():
            for sql in writes.RESET:
                self._writer.execute(sql)
