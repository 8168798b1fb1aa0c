"""`StoreReader` on one SQLite connection: the read snapshot and the write transaction
share it. Batch reads run one statement per chunk of at most `IN_CHUNK` values."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

from identity_graph.audit import AuditFilter
from identity_graph.errors import StoreError
from identity_graph.ids import IdentifierKey, Pair, PersonId
from identity_graph.segments import sql as segment_sql
from identity_graph.segments.ast import Expr
from identity_graph.segments.context import EvalContext
from identity_graph.stores.contract import EXPORT_KINDS, chunks
from identity_graph.stores.query import expand
from identity_graph.stores.rows import (
    ApiKeyRow,
    AuditRow,
    BatchInfo,
    DestinationRow,
    HubStateRow,
    LedgerRow,
    LineageRow,
    LinkRow,
    Person,
    ProvenanceRow,
    ReviewRow,
    SegmentRow,
    StoredIdentifier,
    batch_prefix,
    provenance_identity,
    provenance_pk,
    when,
)
from identity_graph.stores.sql import copies, reads
from identity_graph.views import (
    ActivityItem,
    ConsentSignal,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)

# Well under SQLite's bound-parameter limit, and large enough to keep round trips few.
IN_CHUNK = 900

# Column values as SQLite returns them: TEXT columns are str, is_hub an int, and so on.
Row = tuple[Any, ...]


def stored_identifier(r: Row) -> StoredIdentifier:
    key, type_, value, pid, first, last, is_hub, reason, joined = r
    return StoredIdentifier(
        key,
        type_,
        value,
        pid,
        first,
        last,
        bool(is_hub),
        reason,
        tuple(joined.split(",")) if joined else (),
    )


def link_row(r: Row) -> LinkRow:
    a, b, weight, kind, sources, evidence, count, first, last, status = r
    return LinkRow(
        a,
        b,
        weight,
        kind,
        sources.split(",") if sources else [],
        evidence,
        count,
        first,
        last,
        status,
    )


def _review(r: Row) -> ReviewRow:
    return ReviewRow(*r)  # columns in the dataclass's field order


def _refused(r: Row) -> RefusedMerge:
    a, b, pa, pb, rule, reason, at = r
    return RefusedMerge.model_validate(
        {"a": a, "b": b, "person_a": pa, "person_b": pb, "rule": rule, "reason": reason, "at": at}
    )


@lru_cache(maxsize=4096)
def _expanded(name: str, template: str, marker: str, n: int) -> tuple[str, tuple[str, ...]]:
    """`expand`'s text and parameter names for a list of `n` scalars: they depend on `n`
    only, and a lookup would otherwise build them anew for each of its reads."""
    st = expand(name, template, lists={marker: range(n)})
    return st.text, tuple(st.params)


class SQLiteReads:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    def _in(
        self, name: str, template: str, marker: str, values: Sequence[object], **params: object
    ) -> list[Row]:
        # A list, not a generator: a lookup makes ~10 of these reads, most of one chunk,
        # and a generator's frame per row was 4% of a lookup's read here.
        if not values:
            return []
        if not params and len(values) <= IN_CHUNK and not isinstance(values[0], tuple):
            text, names = _expanded(name, template, marker, len(values))
            return self._c.execute(text, dict(zip(names, values, strict=True))).fetchall()
        out: list[Row] = []
        for part in chunks(values, IN_CHUNK):
            if params or (part and isinstance(part[0], tuple)):
                st = expand(name, template, lists={marker: part}, params=params)
                out.extend(self._c.execute(st.text, dict(st.params)))
            else:
                text, names = _expanded(name, template, marker, len(part))
                out.extend(self._c.execute(text, dict(zip(names, part, strict=True))))
        return out

    def _one(self, sql: str, **params: object) -> Row:
        row: Row = self._c.execute(sql, params).fetchone()
        return row

    def identifiers(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, StoredIdentifier]:
        rows = self._in("identifiers", reads.IDENTIFIERS_IN, "keys", keys)
        return {i.key: i for i in map(stored_identifier, rows)}

    def persons(self, person_ids: Sequence[PersonId]) -> dict[PersonId, Person]:
        out: dict[PersonId, Person] = {}
        for pid, created, updated, merged in self._in(
            "persons", reads.PERSONS_IN, "ids", person_ids
        ):
            out[PersonId(str(pid))] = Person(
                PersonId(str(pid)),
                str(created),
                str(updated),
                None if merged is None else PersonId(str(merged)),
            )
        return out

    def lineage(self, person_ids: Sequence[PersonId]) -> list[LineageRow]:
        found = {
            (str(f), str(t), str(k), str(at), str(why))
            for f, t, k, at, why in self._in("lineage", reads.LINEAGE_IN, "ids", person_ids)
        }
        return [
            LineageRow(PersonId(f), PersonId(t), k, at, why)
            for f, t, k, at, why in sorted(found, key=lambda r: (r[3], r[0], r[1], r[2]))
        ]

    def members(self, person_ids: Sequence[PersonId]) -> dict[PersonId, list[StoredIdentifier]]:
        out: dict[PersonId, list[StoredIdentifier]] = {}
        for row in self._in("members", reads.MEMBERS_IN, "ids", person_ids):
            i = stored_identifier(row)
            out.setdefault(i.person_id, []).append(i)
        return out

    def links(self, keys: Sequence[IdentifierKey]) -> list[LinkRow]:
        out: dict[Pair, LinkRow] = {}
        for name, template in (
            ("links_by_a", reads.LINKS_BY_A_IN),
            ("links_by_b", reads.LINKS_BY_B_IN),
        ):
            for row in self._in(name, template, "keys", keys):
                link = link_row(row)
                out[link.pair] = link
        return sorted(out.values(), key=lambda lk: lk.pair)

    def pair_links(self, pairs: Sequence[Pair]) -> dict[Pair, LinkRow]:
        rows = self._in("pair_links", reads.PAIR_LINKS_IN, "pairs", list(pairs))
        return {lk.pair: lk for lk in map(link_row, rows)}

    def person_links(
        self, person_ids: Sequence[PersonId], *, across: bool = False
    ) -> list[LinkRow]:
        if across:
            # Both ends' persons in one statement: the ID list is not chunked.
            st = expand(
                "person_links_across", reads.PERSON_LINKS_ACROSS_IN, lists={"ids": list(person_ids)}
            )
            return [link_row(r) for r in self._c.execute(st.text, dict(st.params))]
        links = [
            link_row(r) for r in self._in("person_links", reads.PERSON_LINKS_IN, "ids", person_ids)
        ]
        if len(person_ids) > IN_CHUNK:  # each chunk is ordered, not the whole
            links.sort(key=lambda lk: lk.pair)
        return links

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]:
        return {
            str(r[0]) for r in self._in("seen_messages", reads.SEEN_MESSAGES_IN, "ids", message_ids)
        }

    def activity(self, keys: Sequence[IdentifierKey]) -> list[ActivityItem]:
        names = (
            "identifier",
            "kind",
            "target_type",
            "target_id",
            "day",
            "count",
            "first_at",
            "last_at",
            "amount",
        )
        rows = list(self._in("activity", reads.ACTIVITY_IN, "keys", keys))
        rows.sort(key=lambda r: tuple(str(v) for v in r[:5]))
        return [ActivityItem.model_validate(dict(zip(names, r, strict=True))) for r in rows]

    def consent(self, keys: Sequence[IdentifierKey]) -> list[ConsentSignal]:
        rows = sorted(self._in("consent", reads.CONSENT_IN, "keys", keys), key=lambda r: r[:2])
        return [
            ConsentSignal(identifier=k, purpose=p, granted=bool(g), source=s, at=when(at))
            for k, p, g, s, at in rows
        ]

    def records(self, keys: Sequence[IdentifierKey]) -> list[SourceRecord]:
        rows = sorted(
            self._in("records", reads.RECORDS_IN, "keys", keys),
            key=lambda r: str(r[4]),
            reverse=True,
        )
        return [
            SourceRecord.model_validate(
                {
                    "source": source,
                    "record_id": record_id,
                    "identifier": key,
                    "attributes": json.loads(str(attributes)),
                    "observed_at": observed_at,
                }
            )
            for source, record_id, key, attributes, observed_at in rows
        ]

    def type_counts(self, person_ids: Sequence[PersonId]) -> dict[PersonId, dict[str, int]]:
        out: dict[PersonId, dict[str, int]] = {}
        for pid, type_, n in self._in("type_counts", reads.TYPE_COUNTS_IN, "ids", person_ids):
            out.setdefault(PersonId(str(pid)), {})[str(type_)] = int(str(n))
        return out

    def cannot_links(self, person_ids: Sequence[PersonId]) -> list[tuple[PersonId, PersonId]]:
        found = self._in("cannot_links", reads.CANNOT_LINKS_IN, "ids", person_ids)
        return list(dict.fromkeys((PersonId(str(x)), PersonId(str(y))) for x, y in found))

    def refused_merges(
        self, limit: int = 100, persons: Sequence[PersonId] = ()
    ) -> list[RefusedMerge]:
        if not persons:
            rows = self._c.execute(reads.REFUSED_MERGES, {"limit": int(limit)})
            return [_refused(r) for r in rows]
        st = expand(
            "refused_merges_between",
            reads.REFUSED_MERGES_BETWEEN_IN,
            lists={"ids": list(persons)},
            params={"limit": int(limit)},
        )
        return [_refused(r) for r in self._c.execute(st.text, dict(st.params))]

    def hubs(self, limit: int = 100, persons: Sequence[PersonId] = ()) -> list[StoredIdentifier]:
        if not persons:
            rows = self._c.execute(reads.HUBS, {"limit": int(limit)})
            return [stored_identifier(r) for r in rows]
        st = expand(
            "hubs_of", reads.HUBS_OF_IN, lists={"ids": list(persons)}, params={"limit": int(limit)}
        )
        return [stored_identifier(r) for r in self._c.execute(st.text, dict(st.params))]

    def reviews(
        self,
        status: str | None,
        limit: int,
        offset: int = 0,
        min_probability: float = 0.0,
        max_probability: float = 1.0,
    ) -> list[ReviewRow]:
        params = {
            "status": status,
            "limit": int(limit),
            "offset": int(offset),
            "min_probability": float(min_probability),
            "max_probability": float(max_probability),
        }
        return [_review(r) for r in self._c.execute(reads.REVIEWS, params)]

    def count_reviews(self, status: str | None) -> int:
        return int(str(self._one(reads.COUNT_REVIEWS, status=status)[0]))

    def review_pairs(self, pairs: Sequence[Pair]) -> dict[Pair, ReviewRow]:
        rows = self._in("review_pairs", reads.REVIEW_PAIRS_IN, "pairs", list(pairs))
        return {(r.a, r.b): r for r in map(_review, rows)}

    def audit(
        self, limit: int = 100, subject: str | None = None, where: AuditFilter | None = None
    ) -> list[AuditRow]:
        f = where or AuditFilter()
        params: dict[str, object] = {
            "subject": subject if subject is not None else f.subject,
            "action": f.action,
            "since": f.since,
            "until": f.until,
            "limit": int(limit),
        }
        if f.by_mention:
            params.update(person=f.person, members_of=f.members_of, identifier=f.identifier)
            rows = self._c.execute(reads.AUDIT_MENTIONING, params)
        else:
            rows = self._c.execute(reads.AUDIT, params)
        return [AuditRow(*r) for r in rows]

    def tombstones(self, digests: Sequence[str]) -> set[str]:
        return {str(r[0]) for r in self._in("tombstones", reads.TOMBSTONES_IN, "digests", digests)}

    def has_tombstones(self) -> bool:
        return bool(self._one(reads.HAS_TOMBSTONES)[0])

    def tombstone_salt(self) -> bytes:
        row = self._one(reads.TOMBSTONE_SALT)
        if row is None:  # made with the schema: only a file edited by hand lacks it
            raise StoreError("the store has no tombstone salt")
        return bytes.fromhex(str(row[0]))

    def absorbed(self, person_ids: Sequence[PersonId]) -> set[PersonId]:
        given = set(person_ids)
        rows = self._in("absorbed", reads.ABSORBED_IN, "ids", person_ids)
        found = {PersonId(str(r[0])) for r in rows}
        return found - given

    def stats(self) -> StoreStats:
        names = (
            "identifiers",
            "links",
            "persons",
            "hubs",
            "refused_merges",
            "activities",
            "records",
            "consent",
        )
        return StoreStats.model_validate(dict(zip(names, self._one(reads.STATS), strict=True)))

    def provenance(self, batch_id: str, after: str | None, limit: int) -> list[ProvenanceRow]:
        # Pages follow the primary key, whose order is the pk's except where JSON escaping
        # reorders texts: each store's pages are consistent with its own `after`.
        start = ("", "", "", "")
        if after is not None and after > batch_prefix(batch_id):
            after_batch, *rest = provenance_identity(after)
            if after_batch != batch_id:  # past this batch's rows
                return []
            start = (rest[0], rest[1], rest[2], rest[3])
        params = {
            "batch_id": batch_id,
            "kind": start[0],
            "source": start[1],
            "key": start[2],
            "other": start[3],
            "limit": int(limit),
        }
        return [ProvenanceRow(*r) for r in self._c.execute(reads.PROVENANCE_PAGE, params)]

    def provenance_of(self, items: Sequence[tuple[str, IdentifierKey, str]]) -> list[ProvenanceRow]:
        rows = [
            ProvenanceRow(*r)
            for r in self._in("provenance_of", reads.PROVENANCE_OF_IN, "items", list(items))
        ]
        rows.sort(key=lambda r: r.pk)
        return rows

    def batches(self, source: str | None = None, limit: int = 100) -> list[BatchInfo]:
        out: list[BatchInfo] = []
        for r in self._c.execute(reads.BATCHES, {"source": source, "limit": int(limit)}):
            batch_id, at, sources, *counts = r
            links, evidence, records, activity, amount, consent, identifiers = counts
            out.append(
                BatchInfo(
                    batch_id,
                    at,
                    sorted(_split(sources)),
                    int(links),
                    int(evidence),
                    int(records),
                    int(activity),
                    float(amount),
                    int(consent),
                    int(identifiers),
                )
            )
        return out

    def hub_states(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, HubStateRow]:
        rows = self._in("hub_states", reads.HUB_STATES_IN, "keys", keys)
        return {r[0]: HubStateRow(*r) for r in rows}

    def _named(
        self, name: str, every: str, template: str, names: Sequence[str] | None
    ) -> list[Row]:
        if names is None:
            return list(self._c.execute(every))
        return sorted(self._in(name, template, "names", names), key=lambda r: str(r[0]))

    def segments(self, names: Sequence[str] | None = None) -> list[SegmentRow]:
        rows = self._named("segments", reads.SEGMENTS, reads.SEGMENTS_IN, names)
        return [SegmentRow(*r) for r in rows]

    def destinations(self, names: Sequence[str] | None = None) -> list[DestinationRow]:
        rows = self._named("destinations", reads.DESTINATIONS, reads.DESTINATIONS_IN, names)
        return [DestinationRow(*r) for r in rows]

    def api_keys(self, names: Sequence[str] | None = None) -> list[ApiKeyRow]:
        rows = self._named("api_keys", reads.API_KEYS, reads.API_KEYS_IN, names)
        return [_api_key(r) for r in rows]

    def api_key(self, digest: str) -> ApiKeyRow | None:
        row = self._one(reads.API_KEY_BY_DIGEST, digest=digest)
        return None if row is None else _api_key(row)

    def ledger_delta(
        self,
        destination: str,
        gen: int,
        side: Literal["add", "remove"],
        after: str | None,
        limit: int,
    ) -> list[LedgerRow]:
        sql = reads.LEDGER_ADDS if side == "add" else reads.LEDGER_REMOVES
        params = {"destination": destination, "gen": int(gen), "after": after or ""}
        return [LedgerRow(*r) for r in self._c.execute(sql, {**params, "limit": int(limit)})]

    def ledger_size(self, destination: str) -> int:
        return int(str(self._one(reads.LEDGER_SIZE, destination=destination)[0]))

    def latest_model(self) -> tuple[str, str] | None:
        row = self._c.execute(reads.LATEST_MODEL).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def scan(self, kind: str) -> Iterator[dict[str, object]]:
        sql = copies.SCANS.get(kind)
        if sql is None:
            raise StoreError(f"unknown kind of rows to export: {kind!r}")
        convert = _SCAN_CONVERT.get(kind, {})
        cursor = self._c.execute(sql)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            out = dict(zip(names, row, strict=True))
            for name, fn in convert.items():
                out[name] = fn(out[name])
            if kind == "provenance":
                out["pk"] = provenance_pk(*(str(out[n]) for n in _PROVENANCE_IDENTITY))
            yield out

    def row_counts(self) -> dict[str, int]:
        row = self._one(copies.ROW_COUNTS)
        return {kind: int(str(n)) for kind, n in zip(EXPORT_KINDS, row, strict=True)}

    def segment_members(
        self, expr: Expr, ctx: EvalContext, after: str | None, limit: int
    ) -> list[PersonId]:
        st = segment_sql.members(expr, ctx, after, limit)
        return [PersonId(str(r[0])) for r in self._c.execute(st.text, dict(st.params))]

    def iter_segment(self, expr: Expr, ctx: EvalContext) -> Iterator[PersonId]:
        st = segment_sql.members(expr, ctx, None, _NO_LIMIT)
        for r in self._c.execute(st.text, dict(st.params)):
            yield PersonId(str(r[0]))

    def segment_count(self, expr: Expr, ctx: EvalContext) -> int:
        st = segment_sql.count(expr, ctx)
        return int(str(self._c.execute(st.text, dict(st.params)).fetchone()[0]))


# SQLite's LIMIT takes a 64-bit integer; no segment gets near it.
_NO_LIMIT = 2**62


def _split(text: object) -> list[str]:
    return [s for s in str(text or "").split(",") if s]


def _json_list(text: object) -> list[str]:
    return [str(v) for v in json.loads(str(text))]


def _api_key(r: Row) -> ApiKeyRow:
    name, role, digest, segments, destinations, created_at, revoked_at = r
    return ApiKeyRow(
        name,
        role,
        digest,
        tuple(_json_list(segments)),
        tuple(_json_list(destinations)),
        created_at,
        revoked_at,
    )


_PROVENANCE_IDENTITY = ("batch_id", "kind", "source", "key", "other")
_SCAN_CONVERT: Mapping[str, Mapping[str, Callable[[object], object]]] = {
    "identifiers": {"is_hub": bool, "joined": _split},
    "links": {"sources": _split},
    "consent": {"granted": bool},
    "api_keys": {"segments": _json_list, "destinations": _json_list},
}
