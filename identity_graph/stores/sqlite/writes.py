"""`StoreTx` on the writer connection: `apply` runs one `executemany` per ChangeSet field,
in the order `ChangeSet` documents; fields without rows cost nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from identity_graph.audit import legacy_pair, redact, ref_rows
from identity_graph.errors import StoreError
from identity_graph.ids import IdentifierKey
from identity_graph.stores.rows import AuditRow, ChangeSet, newest_consent, provenance_identity
from identity_graph.stores.sql import copies, reads, writes
from identity_graph.stores.sqlite.reads import SQLiteReads


def _rows(items: Sequence[Any], *extra: object) -> list[tuple[object, ...]]:
    """Slotted dataclass rows as positional parameters, in field order (then `extra`)."""
    if not items:
        return []
    fields = attrgetter(*items[0].__slots__)
    return [(*fields(r), *extra) for r in items]


def _by_key(rows: list[tuple[object, ...]], width: int) -> list[tuple[object, ...]]:
    """`rows` in the order of their first `width` values (their table's primary key), stable.

    Bulk rows arrive in hash order; inserted in key order they walk each B-tree's pages once
    instead of at random, which halves the cost of a large batch once the tables outgrow the
    page cache. Rows of one statement have distinct keys, so the order changes nothing else.
    """
    rows.sort(key=lambda r: r[:width])
    return rows


def _join(values: Any) -> str:
    return ",".join(str(v) for v in values or ())


def _json_list(values: Any) -> str:
    return json.dumps([str(v) for v in values or ()])


class SQLiteTx(SQLiteReads):
    def _many(self, sql: str, rows: Sequence[Sequence[object] | Mapping[str, object]]) -> None:
        if rows:
            self._c.executemany(sql, rows)

    def apply(self, ch: ChangeSet) -> None:
        at = ch.at
        many = self._many
        many(writes.ADD_MESSAGE, _by_key(list(ch.message_ids), 1))
        many(writes.ADD_PERSON, _by_key(_rows(ch.persons), 1))
        many(writes.MERGE_PERSON, _rows(ch.merges, at))
        many(writes.MOVE_MEMBERS, _rows(ch.merges))
        many(writes.ADD_IDENTIFIER, _by_key(_rows(ch.new_identifiers), 1))
        many(writes.WIDEN_IDENTIFIER, _rows(ch.seen_identifiers))
        many(writes.ASSIGN_IDENTIFIER, list(ch.assignments.items()))
        many(
            writes.UPSERT_LINK,
            _by_key(
                [
                    (
                        r.a,
                        r.b,
                        r.weight,
                        r.kind,
                        ",".join(r.sources),
                        r.evidence,
                        r.count,
                        r.first_seen,
                        r.last_seen,
                        r.status,
                    )
                    for r in ch.links
                ],
                2,
            ),
        )
        many(writes.ADD_ACTIVITY, _by_key(_rows(ch.activity), 5))
        many(writes.UPSERT_RECORD, _rows(ch.records))
        many(writes.UPSERT_CONSENT, _rows(newest_consent(ch.consent)))
        many(writes.ADD_REFUSED_MERGE, _rows(ch.refused_merges))
        many(writes.ADD_LINEAGE, _rows(ch.lineage))
        self._add_audit(ch.audit)
        many(writes.FLAG_HUB, _rows(ch.hubs))
        many(writes.SET_JOINED, [(k, _join(p)) for k, p in ch.joined.items()])
        many(writes.TOUCH_PERSON, [(p, at) for p in sorted(ch.touched_persons)])
        many(writes.UPSERT_REVIEW, _rows(ch.reviews))
        many(writes.UPSERT_MODEL, _rows(ch.models))
        many(writes.UPSERT_SEGMENT, _rows(ch.segments))
        many(writes.UPSERT_DESTINATION, _rows(ch.destinations))
        many(
            writes.UPSERT_API_KEY,
            [
                (
                    k.name,
                    k.role,
                    k.digest,
                    _json_list(k.segments),
                    _json_list(k.destinations),
                    k.created_at,
                    k.revoked_at,
                )
                for k in ch.api_keys
            ],
        )
        many(writes.LEDGER_SEEN, _rows(ch.ledger_seen))
        many(writes.LEDGER_SEND, ch.ledger_commits)
        many(writes.LEDGER_DROP, ch.ledger_commits)
        many(writes.UPSERT_PROVENANCE, _by_key(_rows(ch.provenance), 5))
        many(writes.UPSERT_HUB_STATE, _rows(ch.hub_states))
        many(writes.UNFLAG_HUB, [(k,) for k in ch.unflag_hubs])
        subtract = _rows(ch.subtract_activity)
        many(writes.SUBTRACT_ACTIVITY, subtract)
        many(writes.DROP_EMPTY_ACTIVITY, [r[:5] for r in subtract])
        many(writes.DELETE_LINK, ch.delete_links)
        keys = [(k,) for k in ch.delete_identifiers]
        for sql in (
            writes.DELETE_LINKS_OF_A,
            writes.DELETE_LINKS_OF_B,
            writes.DELETE_ACTIVITY_OF,
            writes.DELETE_RECORDS_OF,
            writes.DELETE_CONSENT_OF,
            writes.DELETE_IDENTIFIER,
            writes.DELETE_PROVENANCE_OF,
            writes.DELETE_LINK_PROVENANCE_OF,
            writes.DELETE_HUB_STATE_OF,
        ):
            many(sql, keys)
        many(writes.DELETE_RECORD, ch.delete_records)
        many(writes.DELETE_CONSENT, ch.delete_consent)
        many(writes.DELETE_PROVENANCE, [provenance_identity(pk) for pk in ch.delete_provenance])
        persons = [(p,) for p in ch.delete_persons]
        many(writes.DELETE_LINEAGE_OF, persons)
        many(writes.DELETE_PERSON, persons)
        many(writes.DELETE_SEGMENT, [(n,) for n in ch.delete_segments])
        destinations = [(n,) for n in ch.delete_destinations]
        many(writes.DELETE_DESTINATION, destinations)
        many(writes.DELETE_LEDGER_OF, destinations)
        many(writes.ADD_TOMBSTONE, _rows(ch.tombstones))
        self._redact_audit(ch.redact_audit)
        self._erase(ch)

    def _add_audit(self, rows: list[AuditRow]) -> None:
        """Append audit rows with their index entries (audit_refs)."""
        if not rows:
            return
        first = int(str(self._one(writes.NEXT_AUDIT_ID)[0]))
        numbered = [(first + n, *row) for n, row in enumerate(_rows(rows))]
        self._many(writes.ADD_AUDIT, numbered)
        self._many(writes.ADD_AUDIT_REF, ref_rows([(int(str(r[0])), str(r[5])) for r in numbered]))

    def _reindex_audit(self, rows: Sequence[tuple[int, str]]) -> None:
        """Rebuild the index entries of (id, detail) rows from their detail."""
        self._many(writes.DELETE_AUDIT_REFS_OF, [(i,) for i, _ in rows])
        self._many(writes.ADD_AUDIT_REF, ref_rows(rows))

    def _redact_audit(self, replace: dict[IdentifierKey, str]) -> None:
        if not replace:
            return
        found: dict[int, tuple[str, str]] = {}
        for row_id, subject, detail in self._in(
            "audit_mentioning_keys", reads.AUDIT_MENTIONING_KEYS_IN, "keys", list(replace)
        ):
            found[int(row_id)] = (str(subject), str(detail))
        keys = set(replace)
        for row_id, action, subject, detail in self._c.execute(reads.LEGACY_REVIEW_AUDIT):
            pair = legacy_pair(str(action), str(subject))
            if pair is not None and keys.intersection(pair):
                found[int(row_id)] = (str(subject), str(detail))
        mapping = {str(k): v for k, v in replace.items()}
        updated = [(i, *redact(subject, detail, mapping)) for i, (subject, detail) in found.items()]
        self._many(writes.REDACT_AUDIT, updated)
        self._reindex_audit([(i, detail) for i, _, detail in updated])

    def _erase(self, ch: ChangeSet) -> None:
        """ChangeSet fields 24-28 (erasure, and the salt of a copy)."""
        many = self._many
        keys = [(k,) for k in ch.delete_reviews_of]
        many(writes.DELETE_REVIEWS_OF_A, keys)
        many(writes.DELETE_REVIEWS_OF_B, keys)
        keys = [(k,) for k in ch.delete_refused_merges_of]
        many(writes.DELETE_REFUSED_OF_A, keys)
        many(writes.DELETE_REFUSED_OF_B, keys)
        many(writes.DELETE_UNSENT_LEDGER_OF, ch.delete_unsent_ledger_of)
        many(
            writes.DELETE_MESSAGES_FROM,
            [(p, p[:-1] + chr(ord(p[-1]) + 1)) for p in ch.delete_message_prefixes if p],
        )
        if ch.tombstone_salt is not None:
            self._c.execute(writes.SET_TOMBSTONE_SALT, (ch.tombstone_salt.hex(),))

    def import_rows(self, kind: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Upsert exported rows by their identity (see `EXPORT_KINDS`)."""
        sql = copies.IMPORTS.get(kind)
        if sql is None:
            raise StoreError(f"unknown kind of rows to import: {kind!r}")
        convert = _IMPORT_CONVERT.get(kind, {})
        self._many(
            sql,
            [{k: convert[k](v) if k in convert else v for k, v in r.items()} for r in rows],
        )
        if kind == "audit":  # the index is derived from the detail, not copied
            self._reindex_audit([(int(str(r["seq"])), str(r["detail"])) for r in rows])


_IMPORT_CONVERT: Mapping[str, Mapping[str, Callable[[Any], object]]] = {
    "identifiers": {"is_hub": lambda v: 1 if v else 0, "joined": _join},
    "links": {"sources": _join},
    "consent": {"granted": lambda v: 1 if v else 0},
    "api_keys": {"segments": _json_list, "destinations": _json_list},
}
