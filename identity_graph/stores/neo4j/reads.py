"""`StoreReader` over one explicit driver transaction: a read transaction (`reader()`) or
the write transaction (whose reads see its own writes). Each batch read is one query with
the batch as a list parameter (`UNWIND $keys ...`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import neo4j
from neo4j import exceptions as nx

from identity_graph.audit import AuditFilter
from identity_graph.errors import StoreError
from identity_graph.ids import IdentifierKey, Pair, PersonId
from identity_graph.segments import cypher
from identity_graph.segments.ast import Expr
from identity_graph.segments.context import EvalContext
from identity_graph.stores.contract import EXPORT_KINDS
from identity_graph.stores.cypher_files import Query, query
from identity_graph.stores.neo4j.errors import translate
from identity_graph.stores.profile_rows import ProfileRows
from identity_graph.stores.query import Statement
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
    when,
)
from identity_graph.views import (
    ActivityItem,
    ConsentSignal,
    RefusedMerge,
    SourceRecord,
    StoreStats,
)


def stored_identifier(r: neo4j.Record) -> StoredIdentifier:
    return StoredIdentifier(
        r["key"],
        r["type"],
        r["value"],
        r["person_id"],
        r["first_seen"],
        r["last_seen"],
        bool(r["is_hub"]),
        r["hub_reason"],
        tuple(r["joined"] or ()),
    )


def link_row(r: neo4j.Record) -> LinkRow:
    return LinkRow(
        r["a"],
        r["b"],
        float(r["weight"]),
        r["kind"],
        list(r["sources"] or []),
        r["evidence"] or "{}",
        int(r["count"]),
        r["first_seen"],
        r["last_seen"],
        r["status"],
    )


def _values(r: neo4j.Record | Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A record's columns named like the fields of a slotted row dataclass (its slots)."""
    return {name: r[name] for name in names}


# Rows as a query returns them, or as maps collected in one (`profile.cypher`).
Columns = neo4j.Record | Mapping[str, Any]


def _lineage(r: Columns) -> LineageRow:
    return LineageRow(**_values(r, LineageRow.__slots__))


def _members(pid: PersonId, members: list[list[Any]]) -> list[StoredIdentifier]:
    return [
        StoredIdentifier(
            key, type_, value, pid, first, last, bool(hub), reason, tuple(joined or ())
        )
        for key, type_, value, first, last, hub, reason, joined in members
    ]


def _activity(r: Columns) -> ActivityItem:
    return ActivityItem.model_validate({**dict(r), "identifier": r["key"]})


def _consent(r: Columns) -> ConsentSignal:
    return ConsentSignal(
        identifier=r["key"],
        purpose=r["purpose"],
        granted=bool(r["granted"]),
        source=r["source"],
        at=when(r["at"]),
    )


def _record(r: Columns) -> SourceRecord:
    return SourceRecord.model_validate(
        {**dict(r), "identifier": r["key"], "attributes": json.loads(r["attributes"])}
    )


def _api_key(r: neo4j.Record) -> ApiKeyRow:
    row = _values(r, ApiKeyRow.__slots__)
    return ApiKeyRow(
        **{**row, "segments": tuple(row["segments"]), "destinations": tuple(row["destinations"])}
    )


def _provenance(r: neo4j.Record) -> ProvenanceRow:
    row = _values(r, ProvenanceRow.__slots__)
    return ProvenanceRow(**{**row, "count": int(row["count"]), "amount": float(row["amount"])})


def _review(r: neo4j.Record) -> ReviewRow:
    return ReviewRow(**_values(r, ReviewRow.__slots__))


class Neo4jReads:
    def __init__(self, tx: neo4j.Transaction, where: str) -> None:
        self._tx = tx
        self._where = where

    def _run(self, q: Query, **params: Any) -> list[neo4j.Record]:
        return list(self._stream(q, **params))

    def _stream(self, q: Query, **params: Any) -> Iterator[neo4j.Record]:
        try:
            yield from self._tx.run(q.text, params)
        except (nx.Neo4jError, nx.DriverError) as exc:
            raise translate(exc, self._where, q) from None

    def _statement(self, st: Statement) -> list[neo4j.Record]:
        """A generated query (text and parameters from the query layer)."""
        return self._run(Query(st.name, st.text), **st.params)

    def _batch(self, name: str, values: Sequence[object], param: str) -> list[neo4j.Record]:
        """A batch read; an empty batch costs no round trip."""
        return self._run(query(name), **{param: list(values)}) if values else []

    def identifiers(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, StoredIdentifier]:
        return {i.key: i for i in map(stored_identifier, self._batch("identifiers", keys, "keys"))}

    def persons(self, person_ids: Sequence[PersonId]) -> dict[PersonId, Person]:
        return {
            r["person_id"]: Person(
                r["person_id"], r["created_at"], r["updated_at"], r["merged_into"]
            )
            for r in self._batch("persons", person_ids, "ids")
        }

    def lineage(self, person_ids: Sequence[PersonId]) -> list[LineageRow]:
        return [_lineage(r) for r in self._batch("lineage", person_ids, "ids")]

    def profile(self, person_id: str | None, key: IdentifierKey | None) -> ProfileRows | None:
        """The profile rows of the person an ID or identifier names, in one query; None
        when it names nothing."""
        rows = self._run(query("profile"), person_id=person_id, key=key)
        if not rows:
            return None
        r = rows[0]
        chain = [
            Person(p["person_id"], p["created_at"], p["updated_at"], p["merged_into"])
            for p in r["chain"]
        ]
        now = chain[-1].person_id
        return ProfileRows(
            chain=chain,
            complete=bool(r["complete"]),
            merges=[_lineage(e) for e in r["merges"]],
            lineage=[_lineage(e) for e in r["lineage"]],
            pieces={piece: current for piece, current in r["pieces"]},
            members=_members(now, r["members"]),
            records=[_record(x) for x in r["records"]],
            activity=[_activity(x) for x in r["activity"]],
            consent=[_consent(x) for x in r["consent"]],
        )

    def members(self, person_ids: Sequence[PersonId]) -> dict[PersonId, list[StoredIdentifier]]:
        out: dict[PersonId, list[StoredIdentifier]] = {}
        for r in self._batch("members", person_ids, "ids"):
            out[r["person_id"]] = _members(r["person_id"], r["members"])
        return out

    def links(self, keys: Sequence[IdentifierKey]) -> list[LinkRow]:
        return [link_row(r) for r in self._batch("links_touching", keys, "keys")]

    def pair_links(self, pairs: Sequence[Pair]) -> dict[Pair, LinkRow]:
        rows = [{"a": a, "b": b} for a, b in pairs]
        return {lk.pair: lk for lk in map(link_row, self._batch("pair_links", rows, "rows"))}

    def person_links(
        self, person_ids: Sequence[PersonId], *, across: bool = False
    ) -> list[LinkRow]:
        if across:
            return [link_row(r) for r in self._batch("person_links_across", person_ids, "ids")]
        links = [
            LinkRow(a, b, float(w), kind, list(src or []), ev or "{}", int(n), first, last, status)
            for r in self._batch("person_links", person_ids, "ids")
            for a, b, w, kind, src, ev, n, first, last, status in r["links"]
        ]
        # Ordered by (a, b), as the contract says: cheaper here than in the query.
        links.sort(key=lambda lk: (lk.a, lk.b))
        return links

    def seen_messages(self, message_ids: Sequence[str]) -> set[str]:
        return {r[0] for r in self._batch("seen_messages", message_ids, "ids")}

    def activity(self, keys: Sequence[IdentifierKey]) -> list[ActivityItem]:
        return [_activity(r) for r in self._batch("activity", keys, "keys")]

    def consent(self, keys: Sequence[IdentifierKey]) -> list[ConsentSignal]:
        return [_consent(r) for r in self._batch("consent", keys, "keys")]

    def records(self, keys: Sequence[IdentifierKey]) -> list[SourceRecord]:
        return [_record(r) for r in self._batch("records", keys, "keys")]

    def type_counts(self, person_ids: Sequence[PersonId]) -> dict[PersonId, dict[str, int]]:
        out: dict[PersonId, dict[str, int]] = {}
        for r in self._batch("type_counts", person_ids, "ids"):
            out.setdefault(r["person_id"], {})[r["type"]] = int(r["n"])
        return out

    def cannot_links(self, person_ids: Sequence[PersonId]) -> list[tuple[PersonId, PersonId]]:
        return [(r["x"], r["y"]) for r in self._batch("cannot_links", person_ids, "ids")]

    def refused_merges(
        self, limit: int = 100, persons: Sequence[PersonId] = ()
    ) -> list[RefusedMerge]:
        if persons:
            rows = self._run(query("refused_merges_between"), ids=list(persons), limit=int(limit))
        else:
            rows = self._run(query("refused_merges"), limit=int(limit))
        return [RefusedMerge.model_validate(dict(r)) for r in rows]

    def hubs(self, limit: int = 100, persons: Sequence[PersonId] = ()) -> list[StoredIdentifier]:
        if persons:
            rows = self._run(query("hubs_of"), ids=list(persons), limit=int(limit))
        else:
            rows = self._run(query("hubs"), limit=int(limit))
        return [stored_identifier(r) for r in rows]

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
            return [_review(r) for r in self._run(query("reviews"), **params)]
        return [
            _review(r) for r in self._run(query("reviews_with_status"), status=status, **params)
        ]

    def count_reviews(self, status: str | None) -> int:
        if status is None:
            (r,) = self._run(query("count_reviews"))
        else:
            (r,) = self._run(query("count_reviews_with_status"), status=status)
        return int(r["n"])

    def review_pairs(self, pairs: Sequence[Pair]) -> dict[Pair, ReviewRow]:
        rows = [{"a": a, "b": b} for a, b in pairs]
        return {(r.a, r.b): r for r in map(_review, self._batch("review_pairs", rows, "rows"))}

    def audit(
        self, limit: int = 100, subject: str | None = None, where: AuditFilter | None = None
    ) -> list[AuditRow]:
        f = where or AuditFilter()
        subject = subject if subject is not None else f.subject
        params: dict[str, Any] = {
            "limit": int(limit),
            "subject": subject,
            "action": f.action,
            "since": f.since,
            "until": f.until,
        }
        if f.by_mention:
            mentions = {"person": f.person, "members_of": f.members_of}
            rows = self._run(
                query("audit_mentioning"), **params, **mentions, identifier=f.identifier
            )
        elif any(v is not None for v in (f.action, f.since, f.until)):
            rows = self._run(query("audit_where"), **params)
        elif subject is None:
            rows = self._run(query("audit"), limit=int(limit))
        else:  # by subject alone: its index
            rows = self._run(query("audit_subject"), limit=int(limit), subject=subject)
        return [AuditRow(**_values(r, AuditRow.__slots__)) for r in rows]

    def tombstones(self, digests: Sequence[str]) -> set[str]:
        return {r["digest"] for r in self._batch("tombstones", digests, "digests")}

    def has_tombstones(self) -> bool:
        return bool(self._run(query("has_tombstones"))[0]["any"])

    def tombstone_salt(self) -> bytes:
        rows = self._run(query("tombstone_salt"))
        if not rows:  # made with the schema (meta_init): only a database edited by hand
            raise StoreError(f"Neo4j at {self._where} has no tombstone salt")
        return bytes.fromhex(str(rows[0]["salt"]))

    def absorbed(self, person_ids: Sequence[PersonId]) -> set[PersonId]:
        found = {PersonId(r["person_id"]) for r in self._batch("absorbed", person_ids, "ids")}
        return found - set(person_ids)

    def stats(self) -> StoreStats:
        (r,) = self._run(query("stats"))
        return StoreStats(**{name: int(r[name]) for name in StoreStats.model_fields})

    def provenance(self, batch_id: str, after: str | None, limit: int) -> list[ProvenanceRow]:
        prefix = batch_prefix(batch_id)
        rows = self._run(
            query("provenance_page"),
            batch_id=batch_id,
            after=after if after is not None and after > prefix else prefix,
            prefix_end=prefix[:-1] + chr(ord(prefix[-1]) + 1),
            limit=int(limit),
        )
        return [_provenance(r) for r in rows]

    def provenance_of(self, items: Sequence[tuple[str, IdentifierKey, str]]) -> list[ProvenanceRow]:
        rows = [{"kind": k, "key": key, "other": o} for k, key, o in items]
        return [_provenance(r) for r in self._batch("provenance_of", rows, "rows")]

    def batches(self, source: str | None = None, limit: int = 100) -> list[BatchInfo]:
        if source is None:
            rows = self._run(query("batches"), limit=int(limit))
        else:
            rows = self._run(query("batches_of_source"), source=source, limit=int(limit))
        return [
            BatchInfo(
                r["batch_id"],
                r["at"],
                sorted(r["sources"]),
                int(r["links"]),
                int(r["link_evidence"]),
                int(r["records"]),
                int(r["activity"]),
                float(r["amount"]),
                int(r["consent"]),
                int(r["identifiers"]),
            )
            for r in rows
        ]

    def hub_states(self, keys: Sequence[IdentifierKey]) -> dict[IdentifierKey, HubStateRow]:
        return {
            r["key"]: HubStateRow(**_values(r, HubStateRow.__slots__))
            for r in self._batch("hub_states", keys, "keys")
        }

    def _named(self, name: str, names: Sequence[str] | None) -> list[neo4j.Record]:
        if names is None:
            return self._run(query(name))
        return self._batch(f"{name}_named", names, "names")

    def segments(self, names: Sequence[str] | None = None) -> list[SegmentRow]:
        return [
            SegmentRow(**_values(r, SegmentRow.__slots__)) for r in self._named("segments", names)
        ]

    def destinations(self, names: Sequence[str] | None = None) -> list[DestinationRow]:
        return [
            DestinationRow(**_values(r, DestinationRow.__slots__))
            for r in self._named("destinations", names)
        ]

    def api_keys(self, names: Sequence[str] | None = None) -> list[ApiKeyRow]:
        return [_api_key(r) for r in self._named("api_keys", names)]

    def api_key(self, digest: str) -> ApiKeyRow | None:
        rows = self._run(query("api_key"), digest=digest)
        return _api_key(rows[0]) if rows else None

    def ledger_delta(
        self,
        destination: str,
        gen: int,
        side: Literal["add", "remove"],
        after: str | None,
        limit: int,
    ) -> list[LedgerRow]:
        rows = self._run(
            query("ledger_adds" if side == "add" else "ledger_removes"),
            destination=destination,
            gen=int(gen),
            after=after or "",
            limit=int(limit),
        )
        return [LedgerRow(**_values(r, LedgerRow.__slots__)) for r in rows]

    def ledger_size(self, destination: str) -> int:
        (r,) = self._run(query("ledger_size"), destination=destination)
        return int(r["n"])

    def latest_model(self) -> tuple[str, str] | None:
        rows = self._run(query("latest_model"))
        return None if not rows else (rows[0]["version"], rows[0]["body"])

    def scan(self, kind: str) -> Iterator[dict[str, object]]:
        if kind not in EXPORT_KINDS:
            raise StoreError(f"unknown kind of rows to export: {kind!r}")
        for r in self._stream(query(f"export_{kind}")):
            row: dict[str, Any] = dict(r)
            if kind == "identifiers":
                row["is_hub"] = bool(row["is_hub"])
                row["joined"] = list(row["joined"] or [])
            elif kind == "links":
                row["sources"] = list(row["sources"] or [])
            yield row

    def row_counts(self) -> dict[str, int]:
        (r,) = self._run(query("export_counts"))
        return {kind: int(r[kind]) for kind in EXPORT_KINDS}

    def segment_members(
        self, expr: Expr, ctx: EvalContext, after: str | None, limit: int
    ) -> list[PersonId]:
        return [r["person_id"] for r in self._statement(cypher.members(expr, ctx, after, limit))]

    def iter_segment(self, expr: Expr, ctx: EvalContext) -> Iterator[PersonId]:
        st = cypher.members(expr, ctx, None, _NO_LIMIT)
        for r in self._stream(Query(st.name, st.text), **st.params):
            yield PersonId(r["person_id"])

    def segment_count(self, expr: Expr, ctx: EvalContext) -> int:
        (r,) = self._statement(cypher.count(expr, ctx))
        return int(r["n"])


# Cypher LIMIT takes a 64-bit integer; no segment gets near it.
_NO_LIMIT = 2**62
