"""The embedded store: one SQLite file in WAL mode, no server.

Durability: WAL with `synchronous = NORMAL` (the default) keeps every committed batch
across a crash of the process; a power cut may lose the last commits. Pass
`synchronous="FULL"` to survive power loss too, at about twice the commit cost here.

Writes go through one connection under a lock (SQLite has one writer anyway) inside
`BEGIN IMMEDIATE`; reads use one connection per thread so the API serves lookups
concurrently with ingestion.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from identity_graph.errors import ConfigError, StoreError
from identity_graph.stores.contract import EXPORT_KINDS, chunks
from identity_graph.stores.rows import AuditRow, ChangeSet, IdentifierState, ReviewRow
from identity_graph.views import (
    ActivityItem,
    Identifier,
    Link,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)

SCHEMA_VERSION = "2"
# Well under SQLite's bound-parameter limit, and large enough to keep round trips few.
_IN_CHUNK = 900

_IDENTIFIER_COLUMNS = "key, type, value, first_seen, last_seen, is_hub, hub_reason"


@dataclass(slots=True)
class SQLitePerson:
    person_id: str
    created_at: str
    updated_at: str
    merged_into: str | None


def _identifier(row: sqlite3.Row | tuple[object, ...]) -> Identifier:
    key, type_, value, first_seen, last_seen, is_hub, hub_reason = row
    return Identifier(
        key=str(key),
        type=str(type_),
        value=str(value),
        first_seen=first_seen,  # type: ignore[arg-type]
        last_seen=last_seen,  # type: ignore[arg-type]
        hub=bool(is_hub),
        hub_reason=hub_reason,  # type: ignore[arg-type]
    )


def _link(row: tuple[object, ...]) -> Link:
    a, b, weight, kind, sources, evidence, count, first_seen, last_seen, status = row
    return Link(
        a=str(a),
        b=str(b),
        weight=float(weight),  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        sources=[s for s in str(sources).split(",") if s],
        evidence=json.loads(str(evidence)),
        count=int(count),  # type: ignore[call-overload]
        first_seen=first_seen,  # type: ignore[arg-type]
        last_seen=last_seen,  # type: ignore[arg-type]
    )


_LINK_COLUMNS = "a, b, weight, kind, sources, evidence, count, first_seen, last_seen, status"
_REVIEW_COLUMNS = (
    "a, b, probability, evidence, fingerprint, status, created_at, decided_at, decided_by, comment"
)


def path_from_url(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise ConfigError(f"not a SQLite store URL: {url!r} (expected sqlite:///PATH)")
    raw = url.removeprefix("sqlite:///")
    if not raw or raw == ":memory:":
        raise ConfigError("a SQLite store needs a file path: sqlite:///path/graph.db")
    return Path(raw)


def _select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[str]
) -> Iterator[tuple[object, ...]]:
    """Run `sql` with `{marks}` replaced by placeholders, in chunks of `values`."""
    for part in chunks(values, _IN_CHUNK):
        marks = ",".join("?" * len(part))
        yield from conn.execute(sql.format(marks=marks), part)


class SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    def _select_in(self, sql: str, values: Sequence[str]) -> Iterator[tuple[object, ...]]:
        return _select_in(self._c, sql, values)

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]:
        sql = "SELECT message_id FROM messages WHERE message_id IN ({marks})"
        return {str(r[0]) for r in self._select_in(sql, message_ids)}

    def identifier_states(self, keys: Sequence[str]) -> dict[str, IdentifierState]:
        sql = "SELECT key, person_id, is_hub, joined FROM identifiers WHERE key IN ({marks})"
        return {
            str(k): IdentifierState(str(p), bool(h), tuple(str(j).split(",")) if j else ())
            for k, p, h, j in self._select_in(sql, keys)
        }

    def person_type_counts(self, person_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        sql = (
            "SELECT person_id, type, count(*) FROM identifiers "
            "WHERE person_id IN ({marks}) GROUP BY person_id, type"
        )
        out: dict[str, dict[str, int]] = {}
        for pid, type_, n in self._select_in(sql, person_ids):
            out.setdefault(str(pid), {})[str(type_)] = int(n)  # type: ignore[call-overload]
        return out

    def link_statuses(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for a, b in pairs:
            row = self._c.execute(
                "SELECT status FROM links WHERE a = ? AND b = ?", (a, b)
            ).fetchone()
            if row is not None:
                out[(a, b)] = str(row[0])
        return out

    def cannot_links(self, person_ids: Sequence[str]) -> list[tuple[str, str]]:
        wanted = set(person_ids)
        rows = self._c.execute(
            "SELECT ia.person_id, ib.person_id FROM links l "
            "JOIN identifiers ia ON ia.key = l.a JOIN identifiers ib ON ib.key = l.b "
            "WHERE l.status = 'cannot_link'"
        )
        return [(str(x), str(y)) for x, y in rows if x in wanted or y in wanted]

    def reviews_by_pair(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ReviewRow]:
        out: dict[tuple[str, str], ReviewRow] = {}
        for a, b in pairs:
            row = self._c.execute(
                f"SELECT {_REVIEW_COLUMNS} FROM review_queue WHERE a = ? AND b = ?",  # noqa: S608
                (a, b),
            ).fetchone()
            if row is not None:
                out[(a, b)] = ReviewRow(*row)
        return out

    def save_model(self, version: str, created_at: str, body: str) -> None:
        self._c.execute(
            "INSERT OR REPLACE INTO match_models VALUES (?, ?, ?)", (version, created_at, body)
        )

    def person_graph(self, person_id: str) -> tuple[list[tuple[str, bool]], list[Link]]:
        keys = [
            (str(k), bool(h))
            for k, h in self._c.execute(
                "SELECT key, is_hub FROM identifiers WHERE person_id = ?", (person_id,)
            )
        ]
        return keys, _links_of_person(self._c, person_id)

    def apply(self, ch: ChangeSet) -> None:
        c = self._c
        at = ch.at
        c.executemany("INSERT OR IGNORE INTO messages VALUES (?, ?)", ch.message_ids)
        c.executemany(
            "INSERT INTO persons (person_id, created_at, updated_at) VALUES (?, ?, ?)",
            [(p.person_id, p.created_at, p.updated_at) for p in ch.new_persons],
        )
        for loser, winner in ch.merges:
            c.execute("UPDATE identifiers SET person_id = ? WHERE person_id = ?", (winner, loser))
            c.execute(
                "UPDATE persons SET merged_into = ?, updated_at = ? WHERE person_id = ?",
                (winner, at, loser),
            )
        c.executemany(
            "INSERT INTO identifiers (key, type, value, person_id, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)",
            [
                (r.key, r.type, r.value, r.person_id, r.first_seen, r.last_seen)
                for r in ch.identifiers
            ],
        )
        c.executemany(
            "UPDATE identifiers SET person_id = ? WHERE key = ?",
            [(pid, key) for key, pid in ch.assignments.items()],
        )
        c.executemany(
            "INSERT INTO links (a, b, weight, kind, sources, evidence, count, first_seen, "
            "last_seen, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (a, b) DO UPDATE SET "
            "count = count + excluded.count, "
            "status = CASE WHEN excluded.status != 'active' THEN excluded.status "
            "ELSE status END, "
            "kind = CASE WHEN excluded.weight >= weight THEN excluded.kind ELSE kind END, "
            "weight = max(weight, excluded.weight), "
            "evidence = CASE WHEN excluded.evidence != '{}' THEN excluded.evidence "
            "ELSE evidence END, "
            "sources = CASE WHEN instr(',' || sources || ',', ',' || excluded.sources || ',') "
            "THEN sources ELSE sources || ',' || excluded.sources END, "
            "first_seen = min(first_seen, excluded.first_seen), "
            "last_seen = max(last_seen, excluded.last_seen)",
            [
                (
                    r.a,
                    r.b,
                    r.weight,
                    r.kind,
                    r.source,
                    r.evidence,
                    r.count,
                    r.first_seen,
                    r.last_seen,
                    r.status,
                )
                for r in ch.links
            ],
        )
        c.executemany("UPDATE links SET status = 'refused' WHERE a = ? AND b = ?", ch.refused_links)
        c.executemany(
            "INSERT INTO activity VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key, kind, target_type, target_id) DO UPDATE SET "
            "count = count + excluded.count, amount = amount + excluded.amount, "
            "first_at = min(first_at, excluded.first_at), "
            "last_at = max(last_at, excluded.last_at)",
            [
                (
                    r.key,
                    r.kind,
                    r.target_type,
                    r.target_id,
                    r.count,
                    r.first_at,
                    r.last_at,
                    r.amount,
                )
                for r in ch.activity
            ],
        )
        c.executemany(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, record_id) "
            "DO UPDATE SET key = excluded.key, attributes = excluded.attributes, "
            "observed_at = excluded.observed_at WHERE excluded.observed_at >= observed_at",
            [(r.source, r.record_id, r.key, r.attributes, r.observed_at) for r in ch.records],
        )
        c.executemany(
            "INSERT INTO refused_merges (a, b, person_a, person_b, rule, reason, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r.a, r.b, r.person_a, r.person_b, r.rule, r.reason, r.at) for r in ch.refused_merges],
        )
        c.executemany(
            "UPDATE identifiers SET is_hub = 1, hub_reason = ? WHERE key = ?",
            [(h.reason, h.key) for h in ch.hubs],
        )
        c.executemany(
            "UPDATE identifiers SET joined = ? WHERE key = ?",
            [(",".join(persons), key) for key, persons in ch.joined.items()],
        )
        c.executemany(
            "INSERT INTO lineage VALUES (?, ?, ?, ?, ?)",
            [(r.from_id, r.to_id, r.kind, r.at, r.reason) for r in ch.lineage],
        )
        c.executemany(
            "UPDATE persons SET updated_at = ? WHERE person_id = ?",
            [(at, pid) for pid in ch.touched_persons],
        )
        c.executemany(
            f"INSERT OR REPLACE INTO review_queue ({_REVIEW_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.a,
                    r.b,
                    r.probability,
                    r.evidence,
                    r.fingerprint,
                    r.status,
                    r.created_at,
                    r.decided_at,
                    r.decided_by,
                    r.comment,
                )
                for r in ch.reviews
            ],
        )
        c.executemany(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            [(r.at, r.actor, r.action, r.subject, r.detail) for r in ch.audit],
        )

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert exported rows by their identity (see `EXPORT_KINDS`)."""
        sql, columns = _IMPORTS.get(kind, ("", ()))
        if not sql:
            raise StoreError(f"unknown kind of rows to import: {kind!r}")
        convert = _IMPORT_CONVERT.get(kind, {})
        self._c.executemany(
            sql,
            [tuple(convert[c](r[c]) if c in convert else r[c] for c in columns) for r in rows],
        )


# Exported rows are the same shape from every store (`EXPORT_KINDS`); here they become rows
# of the tables above. Every import is an upsert by the row's identity: a re-run changes
# nothing. Append-only rows keep their order: `seq` becomes the row's id.
_IMPORTS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "messages": (
        "INSERT OR REPLACE INTO messages (message_id, at) VALUES (?, ?)",
        ("message_id", "at"),
    ),
    "persons": (
        "INSERT OR REPLACE INTO persons (person_id, created_at, updated_at, merged_into) "
        "VALUES (?, ?, ?, ?)",
        ("person_id", "created_at", "updated_at", "merged_into"),
    ),
    "identifiers": (
        "INSERT OR REPLACE INTO identifiers (key, type, value, person_id, first_seen, "
        "last_seen, is_hub, hub_reason, joined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "key",
            "type",
            "value",
            "person_id",
            "first_seen",
            "last_seen",
            "is_hub",
            "hub_reason",
            "joined",
        ),
    ),
    "links": (
        f"INSERT OR REPLACE INTO links ({_LINK_COLUMNS}) "  # noqa: S608 - constant columns
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "a",
            "b",
            "weight",
            "kind",
            "sources",
            "evidence",
            "count",
            "first_seen",
            "last_seen",
            "status",
        ),
    ),
    "lineage": (
        "INSERT INTO lineage (from_id, to_id, kind, at, reason) "
        "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM lineage WHERE "
        "from_id = ?1 AND to_id = ?2 AND kind = ?3 AND at = ?4 AND reason = ?5)",
        ("from_id", "to_id", "kind", "at", "reason"),
    ),
    "activity": (
        "INSERT OR REPLACE INTO activity (key, kind, target_type, target_id, count, "
        "first_at, last_at, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ("key", "kind", "target_type", "target_id", "count", "first_at", "last_at", "amount"),
    ),
    "records": (
        "INSERT OR REPLACE INTO records (source, record_id, key, attributes, observed_at) "
        "VALUES (?, ?, ?, ?, ?)",
        ("source", "record_id", "key", "attributes", "observed_at"),
    ),
    "refused_merges": (
        "INSERT OR REPLACE INTO refused_merges (id, a, b, person_a, person_b, rule, reason, "
        "at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ("seq", "a", "b", "person_a", "person_b", "rule", "reason", "at"),
    ),
    "reviews": (
        f"INSERT OR REPLACE INTO review_queue ({_REVIEW_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "a",
            "b",
            "probability",
            "evidence",
            "fingerprint",
            "status",
            "created_at",
            "decided_at",
            "decided_by",
            "comment",
        ),
    ),
    "audit": (
        "INSERT OR REPLACE INTO audit (id, at, actor, action, subject, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ("seq", "at", "actor", "action", "subject", "detail"),
    ),
    "models": (
        "INSERT OR REPLACE INTO match_models (version, created_at, body) VALUES (?, ?, ?)",
        ("version", "created_at", "body"),
    ),
}


def _join(values: Any) -> str:
    return ",".join(str(v) for v in values or ())


_IMPORT_CONVERT: Mapping[str, Mapping[str, Callable[[Any], object]]] = {
    "identifiers": {"is_hub": lambda v: 1 if v else 0, "joined": _join},
    "links": {"sources": _join},
}

# kind -> SELECT of the table's rows in the exported shape (converted by _EXPORT_CONVERT)
_EXPORTS: Mapping[str, str] = {
    "messages": "SELECT message_id, at FROM messages",
    "persons": "SELECT person_id, created_at, updated_at, merged_into FROM persons",
    "identifiers": (
        "SELECT key, type, value, person_id, first_seen, last_seen, is_hub, hub_reason, "
        "joined FROM identifiers"
    ),
    "links": f"SELECT {_LINK_COLUMNS} FROM links",  # noqa: S608 - constant columns
    "lineage": "SELECT from_id, to_id, kind, at, reason FROM lineage ORDER BY rowid",
    "activity": (
        "SELECT key, kind, target_type, target_id, count, first_at, last_at, amount FROM activity"
    ),
    "records": "SELECT source, record_id, key, attributes, observed_at FROM records",
    "refused_merges": (
        "SELECT id AS seq, a, b, person_a, person_b, rule, reason, at FROM refused_merges "
        "ORDER BY id"
    ),
    "reviews": f"SELECT {_REVIEW_COLUMNS} FROM review_queue",  # noqa: S608
    "audit": "SELECT id AS seq, at, actor, action, subject, detail FROM audit ORDER BY id",
    "models": "SELECT version, created_at, body FROM match_models",
}
_COUNT_TABLES: Mapping[str, str] = {
    "messages": "messages",
    "persons": "persons",
    "identifiers": "identifiers",
    "links": "links",
    "lineage": "lineage",
    "activity": "activity",
    "records": "records",
    "refused_merges": "refused_merges",
    "reviews": "review_queue",
    "audit": "audit",
    "models": "match_models",
}


def _split(text: object) -> list[str]:
    return [s for s in str(text or "").split(",") if s]


_EXPORT_CONVERT: Mapping[str, Mapping[str, Callable[[Any], object]]] = {
    "identifiers": {"is_hub": bool, "joined": _split},
    "links": {"sources": _split},
}


def _links_of_person(c: sqlite3.Connection, person_id: str) -> list[Link]:
    rows = c.execute(
        f"SELECT {_LINK_COLUMNS} FROM links WHERE a IN "  # noqa: S608 - column list is a constant
        "(SELECT key FROM identifiers WHERE person_id = ?) AND b IN "
        "(SELECT key FROM identifiers WHERE person_id = ?)",
        (person_id, person_id),
    )
    return [_link(r) for r in rows]


class SQLiteStore:
    """`GraphStore` on one SQLite file."""

    def __init__(self, url: str, synchronous: str = "NORMAL") -> None:
        self.url = url
        self.path = path_from_url(url)
        if synchronous not in ("FULL", "NORMAL", "OFF"):
            raise ConfigError(f"synchronous must be FULL, NORMAL or OFF, got {synchronous!r}")
        self._synchronous = synchronous
        if self.path.parent and not self.path.parent.exists():
            raise ConfigError(f"directory of the SQLite store does not exist: {self.path.parent}")
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer = self._connect()
        self._init_schema()

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache per connection
            # Checkpoint less often: hot index pages are copied back once per 40 MiB of WAL
            # rather than on every commit.
            conn.execute("PRAGMA wal_autocheckpoint = 10000")
            conn.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite store {self.path}: {exc}") from exc
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _init_schema(self) -> None:
        sql = resources.files("identity_graph.stores").joinpath("sqlite_schema.sql").read_text()
        with self._write_lock:
            c = self._writer
            tables = {
                r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if tables and "meta" not in tables:
                raise StoreError(f"{self.path} is an SQLite file, but not an identity graph")
            row = None
            if "meta" in tables:
                row = c.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if row is not None and row[0] != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {row[0]}; this release reads version "
                    f"{SCHEMA_VERSION}: ingest into a new file"
                )
            c.executescript(sql)
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    @property
    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    @contextmanager
    def unit_of_work(self) -> Iterator[SQLiteTx]:
        with self._write_lock:
            c = self._writer
            c.execute("BEGIN IMMEDIATE")
            try:
                yield SQLiteTx(c)
            except sqlite3.Error as exc:
                c.execute("ROLLBACK")
                raise StoreError(f"SQLite store {self.path}: {exc}") from exc
            except BaseException:
                c.execute("ROLLBACK")
                raise
            try:
                c.execute("COMMIT")
            except sqlite3.Error as exc:
                c.execute("ROLLBACK")
                raise StoreError(f"commit failed: {exc}") from exc

    def reset(self) -> None:
        with self.unit_of_work():
            for table in (
                "persons",
                "identifiers",
                "links",
                "lineage",
                "activity",
                "records",
                "refused_merges",
                "messages",
                "match_models",
                "review_queue",
                "audit",
            ):
                self._writer.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names

    # -- reads -------------------------------------------------------------------------

    def person(self, person_id: str) -> SQLitePerson | None:
        row = self._reader.execute(
            "SELECT person_id, created_at, updated_at, merged_into FROM persons "
            "WHERE person_id = ?",
            (person_id,),
        ).fetchone()
        return None if row is None else SQLitePerson(*row)

    def identifier(self, key: str) -> tuple[Identifier, str] | None:
        row = self._reader.execute(
            f"SELECT {_IDENTIFIER_COLUMNS}, person_id FROM identifiers WHERE key = ?",  # noqa: S608
            (key,),
        ).fetchone()
        return None if row is None else (_identifier(row[:7]), str(row[7]))

    def person_identifiers(self, person_id: str) -> list[Identifier]:
        rows = self._reader.execute(
            f"SELECT {_IDENTIFIER_COLUMNS} FROM identifiers WHERE person_id = ? "  # noqa: S608
            "ORDER BY type, value",
            (person_id,),
        )
        return [_identifier(r) for r in rows]

    def person_links(self, person_id: str) -> list[Link]:
        return _links_of_person(self._reader, person_id)

    def activity(self, keys: Sequence[str]) -> list[ActivityItem]:
        sql = (
            "SELECT key, kind, target_type, target_id, count, first_at, last_at, amount "
            "FROM activity WHERE key IN ({marks})"
        )
        return [
            ActivityItem(
                identifier=key,
                kind=kind,
                target_type=ttype,
                target_id=tid,  # type: ignore[arg-type]
                count=count,
                first_at=first_at,
                last_at=last_at,
                amount=amount,  # type: ignore[arg-type]
            )
            for key, kind, ttype, tid, count, first_at, last_at, amount in _select_in(
                self._reader, sql, keys
            )
        ]

    def records(self, keys: Sequence[str]) -> list[SourceRecord]:
        sql = (
            "SELECT source, record_id, key, attributes, observed_at FROM records "
            "WHERE key IN ({marks})"
        )
        rows = sorted(_select_in(self._reader, sql, keys), key=lambda r: str(r[4]), reverse=True)
        return [
            SourceRecord(
                source=str(source),
                record_id=str(record_id),
                identifier=str(key),
                attributes=json.loads(str(attributes)),
                observed_at=observed_at,  # type: ignore[arg-type]
            )
            for source, record_id, key, attributes, observed_at in rows
        ]

    def refused_merges(self, limit: int = 100) -> list[RefusedMerge]:
        rows = self._reader.execute(
            "SELECT a, b, person_a, person_b, rule, reason, at FROM refused_merges "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            RefusedMerge(a=a, b=b, person_a=pa, person_b=pb, rule=rule, reason=reason, at=at)
            for a, b, pa, pb, rule, reason, at in rows
        ]

    def hubs(self, limit: int = 100) -> list[Identifier]:
        rows = self._reader.execute(
            f"SELECT {_IDENTIFIER_COLUMNS} FROM identifiers WHERE is_hub = 1 "  # noqa: S608
            "ORDER BY key LIMIT ?",
            (limit,),
        )
        return [_identifier(r) for r in rows]

    def stats(self) -> StoreStats:
        c = self._reader

        def count(sql: str) -> int:
            return int(c.execute(sql).fetchone()[0])

        return StoreStats(
            identifiers=count("SELECT count(*) FROM identifiers"),
            links=count("SELECT count(*) FROM links"),
            persons=count("SELECT count(DISTINCT person_id) FROM identifiers"),
            hubs=count("SELECT count(*) FROM identifiers WHERE is_hub = 1"),
            refused_merges=count("SELECT count(*) FROM refused_merges"),
            activities=count("SELECT count(*) FROM activity"),
            records=count("SELECT count(*) FROM records"),
        )

    def all_records(self) -> Iterator[SourceRecord]:
        rows = self._reader.execute(
            "SELECT source, record_id, key, attributes, observed_at FROM records"
        )
        for source, record_id, key, attributes, observed_at in rows:
            yield SourceRecord(
                source=source,
                record_id=record_id,
                identifier=key,
                attributes=json.loads(attributes),
                observed_at=observed_at,
            )

    def latest_model(self) -> tuple[str, str] | None:
        row = self._reader.execute(
            "SELECT version, body FROM match_models ORDER BY created_at DESC, version DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int = 0,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> list[ReviewRow]:
        rows = self._reader.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM review_queue "  # noqa: S608 - constant columns
            "WHERE (? IS NULL OR status = ?) AND probability >= ? AND probability <= ? "
            "ORDER BY probability DESC, a, b LIMIT ? OFFSET ?",
            (status, status, min_probability, max_probability, limit, offset),
        )
        return [ReviewRow(*r) for r in rows]

    def review(self, a: str, b: str) -> ReviewRow | None:
        row = self._reader.execute(
            f"SELECT {_REVIEW_COLUMNS} FROM review_queue WHERE a = ? AND b = ?",  # noqa: S608
            (a, b),
        ).fetchone()
        return None if row is None else ReviewRow(*row)

    def count_reviews(self, status: str | None) -> int:
        row = self._reader.execute(
            "SELECT count(*) FROM review_queue WHERE ? IS NULL OR status = ?", (status, status)
        ).fetchone()
        return int(row[0])

    def audit_log(self, limit: int = 100, subject: str | None = None) -> list[AuditRow]:
        rows = self._reader.execute(
            "SELECT at, actor, action, subject, detail FROM audit "
            "WHERE ? IS NULL OR subject = ? ORDER BY id DESC LIMIT ?",
            (subject, subject, limit),
        )
        return [AuditRow(*r) for r in rows]

    def links_touching(self, keys: Sequence[str]) -> list[Link]:
        out: dict[tuple[str, str], Link] = {}
        for column in ("a", "b"):
            sql = f"SELECT {_LINK_COLUMNS} FROM links WHERE {column} IN ({{marks}})"  # noqa: S608
            for row in _select_in(self._reader, sql, keys):
                link = _link(row)
                out[(link.a, link.b)] = link
        return list(out.values())

    def assignments(self) -> Iterator[tuple[str, str]]:
        for key, pid in self._reader.execute("SELECT key, person_id FROM identifiers"):
            yield str(key), str(pid)

    def export(self, kind: str) -> Iterator[dict[str, object]]:
        sql = _EXPORTS.get(kind)
        if sql is None:
            raise StoreError(f"unknown kind of rows to export: {kind!r}")
        convert = _EXPORT_CONVERT.get(kind, {})
        # A connection of its own: a long export does not hold this thread's reader.
        conn = self._connect()
        try:
            cursor = conn.execute(sql)
            names = [d[0] for d in cursor.description]
            for row in cursor:
                out = dict(zip(names, row, strict=True))
                for name, fn in convert.items():
                    out[name] = fn(out[name])
                yield out
        finally:
            with self._all_lock:
                if conn in self._all:
                    self._all.remove(conn)
            conn.close()

    def row_counts(self) -> dict[str, int]:
        c = self._reader
        return {
            kind: int(c.execute(f"SELECT count(*) FROM {_COUNT_TABLES[kind]}").fetchone()[0])  # noqa: S608
            for kind in EXPORT_KINDS
        }
