"""`StoreTx` on Neo4j: `apply` is one `UNWIND $rows AS row ...` per ChangeSet field (and
per relationship type, for the templates), in the order `ChangeSet` documents; fields
without rows cost no round trip."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import neo4j

from identity_graph.audit import legacy_pair, redact, ref_rows
from identity_graph.errors import StoreError
from identity_graph.stores.contract import EXPORT_KINDS
from identity_graph.stores.cypher_files import ACTIVITY_TARGETS, Query, query, template
from identity_graph.stores.neo4j.browser import (
    identifier_display,
    link_display,
    person_display,
    review_display,
)
from identity_graph.stores.neo4j.reads import Neo4jReads
from identity_graph.stores.rows import ApiKeyRow, ChangeSet, newest_consent

# Append-only rows are numbered unit of work * SEQ_PER_TX + position in it.
SEQ_PER_TX = 1_000_000
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Labels of the store's own nodes: a type named `person` must not make an identifier a Person.
_STORE_LABELS = frozenset(
    {
        "Audit",
        "AuditRef",
        "Campaign",
        "Case",
        "Destination",
        "Hub",
        "HubState",
        "Identifier",
        "LedgerRow",
        "MatchModel",
        "Message",
        "Meta",
        "Person",
        "Product",
        "Provenance",
        "Purpose",
        "Record",
        "RefusedMerge",
        "Review",
        "Segment",
        "Tombstone",
    }
)


def type_label(type_: str) -> str:
    """The label an identifier of `type_` carries beside `Identifier`, for Neo4j Browser
    colours: `device_id` -> `DeviceId`. It is set dynamically (`SET i:$(row.label)`): only a
    strictly checked type name (`^[a-z][a-z0-9_]*$`) becomes a label, anything else fails
    the batch."""
    if not _TYPE_NAME.fullmatch(type_):
        raise StoreError(
            f"identifier type {type_!r} cannot become a Neo4j label: expected lower-case "
            "letters, digits and '_', starting with a letter"
        )
    label = "".join(part.capitalize() for part in type_.split("_"))
    if label in _STORE_LABELS:
        raise StoreError(f"identifier type {type_!r} would carry the store's own label {label}")
    return label


def _fields(row: Any) -> dict[str, Any]:
    """A ChangeSet row (slotted dataclass) as query parameters, field by field."""
    return {name: getattr(row, name) for name in row.__slots__}


#: The property prefix of a record's attributes on its node: `r['attr_' + $name]` in Cypher.
ATTRIBUTE_PREFIX = "attr_"


def record_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record row (ChangeSet field or export shape) as upsert/import_records parameters:
    `props` is every property of its node, each scalar attribute also as `attr_<name>`
    (readable by Cypher without parsing JSON)."""
    attributes = str(row["attributes"])
    try:
        parsed = json.loads(attributes)
    except ValueError:
        raise StoreError("a record's attributes must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise StoreError("a record's attributes must be a JSON object")
    props: dict[str, Any] = {
        f"{ATTRIBUTE_PREFIX}{name}": value
        for name, value in parsed.items()
        if isinstance(value, str | int | float | bool)
    }
    props.update(
        source=row["source"],
        record_id=row["record_id"],
        attributes=attributes,
        observed_at=row["observed_at"],
    )
    return {**row, "props": props}


def _activity_query(name: str, kind: str, target: str) -> Query:
    if ACTIVITY_TARGETS.get(kind) != target:
        raise StoreError(f"unknown activity {kind} -> {target}")
    return template(name, kind=kind, target=target)


def _by_query(
    rows: Iterable[Mapping[str, Any]], query_of: Callable[[Mapping[str, Any]], Query]
) -> dict[Query, list[Mapping[str, Any]]]:
    """Rows grouped by the query (relationship type) that writes them."""
    out: dict[Query, list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault(query_of(r), []).append(r)
    return out


class Neo4jTx(Neo4jReads):
    """`StoreTx` over one explicit driver transaction."""

    def __init__(self, tx: neo4j.Transaction, where: str, number: int) -> None:
        super().__init__(tx, where)
        # Orders append-only rows (refused merges, audit): units of work are serialized.
        self._seq = number * SEQ_PER_TX

    def _write(self, q: Query, rows: Sequence[object], **params: Any) -> None:
        if rows:
            deque(self._stream(q, rows=rows, **params), maxlen=0)  # run it, keep nothing

    def _grouped(self, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Activity or lineage rows, one query per relationship type."""
        if name.endswith("activity"):
            groups = _by_query(
                rows, lambda r: _activity_query(name, str(r["kind"]), str(r["target_type"]))
            )
        else:
            groups = _by_query(rows, lambda r: _lineage_query(name, str(r["kind"])))
        for q, part in groups.items():
            self._write(q, part)

    def apply(self, ch: ChangeSet) -> None:
        at = ch.at
        w = self._write
        created = {r.key for r in ch.new_identifiers}
        w(query("add_messages"), [{"id": m, "at": a} for m, a in ch.message_ids])
        w(query("add_persons"), [person_display(_fields(p)) for p in ch.persons])
        w(query("merge_persons"), [_fields(m) for m in ch.merges], at=at)
        new_ids = [
            {**identifier_display(_fields(r)), "label": type_label(r.type)}
            for r in ch.new_identifiers
        ]
        w(query("create_identifiers"), new_ids)
        w(query("widen_identifiers"), [_fields(r) for r in ch.seen_identifiers])
        w(
            query("assign_identifiers"),
            [{"key": k, "person_id": p} for k, p in ch.assignments.items()],
        )
        # A link with an end created just now cannot exist yet: CREATE, not MERGE (which
        # would scan the relationships of the other, possibly dense, end).
        fresh: list[dict[str, Any]] = []
        known: list[dict[str, Any]] = []
        for link in ch.links:
            row = link_display(_fields(link))
            (fresh if link.a in created or link.b in created else known).append(row)
        w(query("create_links"), fresh)
        w(query("upsert_links"), known)
        self._grouped("add_activity", [_fields(r) for r in ch.activity])
        w(query("upsert_records"), [record_row(_fields(r)) for r in ch.records])
        w(query("add_consent"), [_fields(r) for r in newest_consent(ch.consent)])
        w(
            query("add_refused_merges"),
            [{**_fields(r), "seq": self._next_seq()} for r in ch.refused_merges],
        )
        self._grouped("add_lineage", [_fields(r) for r in ch.lineage])
        w(
            query("add_audit"),
            [{**_fields(r), "seq": self._next_seq(), "refs": _refs(r.detail)} for r in ch.audit],
        )
        w(query("flag_hubs"), [_fields(h) for h in ch.hubs])
        w(query("set_joined"), [{"key": k, "persons": list(p)} for k, p in ch.joined.items()])
        if ch.touched_persons:
            self._run(query("touch_persons"), ids=sorted(ch.touched_persons), at=at)
        w(query("upsert_reviews"), [review_display(_fields(r)) for r in ch.reviews])
        w(query("upsert_models"), [_fields(m) for m in ch.models])
        w(query("upsert_segments"), [_fields(s) for s in ch.segments])
        w(query("upsert_destinations"), [_fields(d) for d in ch.destinations])
        w(query("upsert_api_keys"), [_api_key_params(k) for k in ch.api_keys])
        w(query("ledger_seen"), [_fields(r) for r in ch.ledger_seen])
        commits = [{"destination": d, "gen": g} for d, g in ch.ledger_commits]
        w(query("ledger_send"), commits)
        w(query("ledger_drop"), commits)
        # Likewise a provenance row naming an identifier created just now.
        new_rows: list[dict[str, Any]] = []
        old_rows: list[dict[str, Any]] = []
        for p in ch.provenance:
            new = p.key in created or (p.kind == "link" and p.other in created)
            (new_rows if new else old_rows).append({**_fields(p), "pk": p.pk})
        w(query("create_provenance"), new_rows)
        w(query("upsert_provenance"), old_rows)
        w(query("upsert_hub_states"), [_fields(h) for h in ch.hub_states])
        if ch.unflag_hubs:
            self._run(query("unflag_hubs"), keys=list(ch.unflag_hubs))
        w(query("subtract_activity"), [_fields(r) for r in ch.subtract_activity])
        w(query("delete_links"), [{"a": a, "b": b} for a, b in ch.delete_links])
        if ch.delete_identifiers:
            self._run(query("delete_identifiers"), keys=list(ch.delete_identifiers))
            self._run(query("delete_provenance_of"), keys=list(ch.delete_identifiers))
        w(query("delete_records"), [{"source": s, "record_id": r} for s, r in ch.delete_records])
        w(query("delete_consent"), [{"key": k, "purpose": p} for k, p in ch.delete_consent])
        if ch.delete_provenance:
            self._run(query("delete_provenance"), pks=list(ch.delete_provenance))
        if ch.delete_persons:
            self._run(query("delete_persons"), ids=list(ch.delete_persons))
        if ch.delete_segments:
            self._run(query("delete_segments"), names=list(ch.delete_segments))
        if ch.delete_destinations:
            for name in ("delete_destinations", "delete_ledgers"):
                self._run(query(name), names=list(ch.delete_destinations))
        w(query("add_tombstones"), [_fields(t) for t in ch.tombstones])
        if ch.redact_audit:
            self._redact_audit({str(k): v for k, v in ch.redact_audit.items()})
        self._erase(ch)

    def _redact_audit(self, replace: dict[str, str]) -> None:
        """Rewrite the rows the index finds for these keys, rebuild their index entries,
        then drop the keys' entries no row refers to any more."""
        keys = list(replace)
        found = {r["seq"]: r for r in self._run(query("audit_mentioning_keys"), keys=keys)}
        for r in self._run(query("legacy_review_audit")):
            pair = legacy_pair(r["action"], r["subject"])
            if pair is not None and set(pair) & set(keys):
                found[r["seq"]] = r
        rows = []
        for r in found.values():
            subject, detail = redact(r["subject"], r["detail"], replace)
            rows.append({**dict(r), "subject": subject, "detail": detail, "refs": _refs(detail)})
        self._write(query("import_audit"), rows)
        self._run(query("drop_audit_refs"), keys=keys)

    def _erase(self, ch: ChangeSet) -> None:
        """ChangeSet fields 24-28 (erasure, and the salt of a copy)."""
        if ch.delete_reviews_of:
            self._run(query("delete_reviews_of"), keys=list(ch.delete_reviews_of))
        if ch.delete_refused_merges_of:
            self._run(query("delete_refused_merges_of"), keys=list(ch.delete_refused_merges_of))
        self._write(
            query("delete_unsent_ledger_of"),
            [{"destination": d, "person_id": p} for d, p in ch.delete_unsent_ledger_of],
        )
        if ch.delete_message_prefixes:
            self._run(query("delete_messages_from"), prefixes=list(ch.delete_message_prefixes))
        if ch.tombstone_salt is not None:
            self._run(query("set_tombstone_salt"), salt=ch.tombstone_salt.hex())

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert exported rows by their identity (see `EXPORT_KINDS`): one UNWIND per
        query; activity and lineage go to the template of their relationship type."""
        if kind not in EXPORT_KINDS:
            raise StoreError(f"unknown kind of rows to import: {kind!r}")
        if not rows:
            return
        if kind in ("activity", "lineage"):
            self._grouped(f"import_{kind}", rows)
            return
        if kind == "records":
            rows = [record_row(r) for r in rows]
        if kind == "api_keys":
            rows = [_api_key_params(r) for r in rows]
        if kind == "audit":  # the index is derived from the detail, not copied
            rows = [{**r, "refs": _refs(str(r["detail"]))} for r in rows]
        if kind == "identifiers":
            # The type label (Neo4j Browser colours), as create_identifiers sets it.
            rows = [
                {
                    **identifier_display(r),
                    "is_hub": bool(r["is_hub"]),
                    "joined": _person_ids(r["joined"]),
                    "label": type_label(str(r["type"])),
                }
                for r in rows
            ]
        # Neo4j Browser's display properties, as apply writes them (stores/neo4j/browser.py).
        display = {"persons": person_display, "links": link_display, "reviews": review_display}
        if kind in display:
            rows = [display[kind](r) for r in rows]
        name = {
            "links": "upsert_links",
            "reviews": "upsert_reviews",
            "models": "upsert_models",
            "tombstones": "add_tombstones",
            "segments": "upsert_segments",
            "destinations": "upsert_destinations",
            "api_keys": "upsert_api_keys",
            "hub_states": "upsert_hub_states",
        }
        self._write(query(name.get(kind, f"import_{kind}")), list(rows))
        if kind in ("refused_merges", "audit"):
            # Later units of work must number their rows after the copied ones.
            top = max(int(str(r["seq"])) for r in rows)
            self._run(query("import_write_lock"), tx=top // SEQ_PER_TX + 1)


def _refs(detail: str) -> list[dict[str, str]]:
    """An audit row's index entries (`audit.mentions`) as add/import_audit parameters."""
    return [{"kind": kind, "ref": ref} for _, kind, ref in ref_rows([(0, detail)])]


def _api_key_params(k: ApiKeyRow | Mapping[str, Any]) -> dict[str, Any]:
    row = _fields(k) if isinstance(k, ApiKeyRow) else dict(k)
    return {**row, "segments": list(row["segments"]), "destinations": list(row["destinations"])}


def _lineage_query(name: str, kind: str) -> Query:
    try:
        return template(name, kind=kind)
    except StoreError:
        raise StoreError(f"unknown lineage kind {kind}") from None


def _person_ids(value: object) -> list[str]:
    """An exported `joined` (a list of person IDs, or nothing) as Cypher list parameter."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise StoreError(f"joined must be a list of person IDs, got {type(value).__name__}")
    return [str(v) for v in value]
