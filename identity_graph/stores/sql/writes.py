"""Writes of `ChangeSet` fields, in apply order. They bind positionally (`?`), in the order
of the row dataclass's fields unless a comment says otherwise: binding tuples costs about
half of binding dicts in the ingest hot path."""

from __future__ import annotations

ADD_MESSAGE = "INSERT OR IGNORE INTO messages (message_id, at) VALUES (?, ?)"
ADD_PERSON = (
    "INSERT INTO persons (person_id, created_at, updated_at, merged_into) VALUES (?, ?, ?, ?)"
)
MERGE_PERSON = "UPDATE persons SET merged_into = ?2, updated_at = ?4 WHERE person_id = ?1"
MOVE_MEMBERS = "UPDATE identifiers SET person_id = ?3 WHERE person_id = ?1"
ADD_IDENTIFIER = (
    "INSERT INTO identifiers (key, type, value, first_seen, last_seen, person_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
WIDEN_IDENTIFIER = (
    "UPDATE identifiers SET first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?5) "
    "WHERE key = ?1"
)
ASSIGN_IDENTIFIER = "UPDATE identifiers SET person_id = ?2 WHERE key = ?1"  # (key, person_id)
UPSERT_LINK = (
    "INSERT OR REPLACE INTO links (a, b, weight, kind, sources, evidence, count, first_seen, "
    "last_seen, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
ADD_ACTIVITY = (
    "INSERT INTO activity (key, kind, target_type, target_id, day, count, first_at, last_at, "
    "amount, person_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
    "(SELECT person_id FROM identifiers WHERE key = ?1)) "
    "ON CONFLICT (key, kind, target_type, target_id, day) DO UPDATE SET "
    "count = count + excluded.count, amount = amount + excluded.amount, "
    "first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)"
)
UPSERT_RECORD = (
    "INSERT INTO records (source, record_id, key, attributes, observed_at) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (source, record_id) DO UPDATE SET key = excluded.key, "
    "attributes = excluded.attributes, observed_at = excluded.observed_at "
    "WHERE excluded.observed_at >= observed_at"
)
# Newest wins; on a tie a denial wins. Only for stored identifiers.
UPSERT_CONSENT = (
    "INSERT INTO consent (key, purpose, granted, source, at, person_id) "
    "SELECT ?1, ?2, ?3, ?4, ?5, person_id FROM identifiers WHERE key = ?1 "
    "ON CONFLICT (key, purpose) DO UPDATE SET granted = excluded.granted, "
    "source = excluded.source, at = excluded.at "
    "WHERE excluded.at > at OR (excluded.at = at AND granted = 1 AND excluded.granted = 0)"
)
ADD_REFUSED_MERGE = (
    "INSERT INTO refused_merges (a, b, person_a, person_b, rule, reason, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
ADD_LINEAGE = "INSERT INTO lineage (from_id, to_id, kind, at, reason) VALUES (?, ?, ?, ?, ?)"
# Audit rows get their ids here (the one writer numbers them) so that their index entries
# (audit_refs) can name them: (id, at, actor, action, subject, detail).
NEXT_AUDIT_ID = "SELECT coalesce(max(id), 0) + 1 FROM audit"
ADD_AUDIT = "INSERT INTO audit (id, at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)"
ADD_AUDIT_REF = "INSERT OR IGNORE INTO audit_refs (audit_id, kind, ref) VALUES (?, ?, ?)"
DELETE_AUDIT_REFS_OF = "DELETE FROM audit_refs WHERE audit_id = ?"  # (audit id,)
REDACT_AUDIT = "UPDATE audit SET subject = ?2, detail = ?3 WHERE id = ?1"  # (id, subject, detail)
FLAG_HUB = "UPDATE identifiers SET is_hub = 1, hub_reason = ?2 WHERE key = ?1"
SET_JOINED = "UPDATE identifiers SET joined = ?2 WHERE key = ?1"  # (key, joined)
TOUCH_PERSON = "UPDATE persons SET updated_at = ?2 WHERE person_id = ?1"  # (person_id, at)
UPSERT_REVIEW = (
    "INSERT OR REPLACE INTO review_queue (a, b, probability, evidence, fingerprint, status, "
    "created_at, decided_at, decided_by, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_MODEL = "INSERT OR REPLACE INTO match_models (version, created_at, body) VALUES (?, ?, ?)"
UPSERT_SEGMENT = (
    "INSERT INTO segments (name, body, created_at, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
)
UPSERT_DESTINATION = (
    "INSERT OR REPLACE INTO destinations (name, platform, segment, created_at, gen, "
    "last_export_at, lease, lease_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_API_KEY = (
    "INSERT OR REPLACE INTO api_keys (name, role, digest, segments, destinations, created_at, "
    "revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
LEDGER_SEEN = (
    "INSERT INTO export_ledger (destination, digest, row, person_id, seen_gen) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination, digest) DO UPDATE SET "
    "row = excluded.row, person_id = excluded.person_id, seen_gen = excluded.seen_gen"
)
# A commit of (destination, gen): what gen saw is sent, what it did not see is forgotten.
LEDGER_SEND = (
    "UPDATE export_ledger SET sent_gen = ?2 "
    "WHERE destination = ?1 AND seen_gen = ?2 AND sent_gen IS NULL"
)
LEDGER_DROP = "DELETE FROM export_ledger WHERE destination = ?1 AND seen_gen < ?2"
DELETE_LINK = "DELETE FROM links WHERE a = ? AND b = ?"
DELETE_LINKS_OF_A = "DELETE FROM links WHERE a = ?"  # (key,)
DELETE_LINKS_OF_B = "DELETE FROM links WHERE b = ?"  # (key,)
DELETE_ACTIVITY_OF = "DELETE FROM activity WHERE key = ?"  # (key,)
DELETE_RECORDS_OF = "DELETE FROM records WHERE key = ?"  # (key,)
DELETE_CONSENT_OF = "DELETE FROM consent WHERE key = ?"  # (key,)
DELETE_IDENTIFIER = "DELETE FROM identifiers WHERE key = ?"  # (key,)
DELETE_LINEAGE_OF = "DELETE FROM lineage WHERE from_id = ?1 OR to_id = ?1"  # (person_id,)
DELETE_PERSON = "DELETE FROM persons WHERE person_id = ?"  # (person_id,)
DELETE_SEGMENT = "DELETE FROM segments WHERE name = ?"  # (name,)
DELETE_DESTINATION = "DELETE FROM destinations WHERE name = ?"  # (name,)
DELETE_LEDGER_OF = "DELETE FROM export_ledger WHERE destination = ?"  # (destination,)
# Lifecycle (rows.ChangeSet 17a-19a).
UPSERT_PROVENANCE = (
    "INSERT INTO provenance (batch_id, kind, source, key, other, count, amount, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id, kind, source, key, other) "
    "DO UPDATE SET "
    "count = count + excluded.count, amount = amount + excluded.amount, "
    "at = min(at, excluded.at)"
)
UPSERT_HUB_STATE = (
    "INSERT OR REPLACE INTO hub_states (key, state, reason, at, actor) VALUES (?, ?, ?, ?, ?)"
)
UNFLAG_HUB = "UPDATE identifiers SET is_hub = 0, hub_reason = NULL, joined = '' WHERE key = ?"
SUBTRACT_ACTIVITY = (
    "UPDATE activity SET count = count - ?6, amount = amount - ?9 "
    "WHERE key = ?1 AND kind = ?2 AND target_type = ?3 AND target_id = ?4 AND day = ?5"
)
DROP_EMPTY_ACTIVITY = (
    "DELETE FROM activity WHERE key = ?1 AND kind = ?2 AND target_type = ?3 "
    "AND target_id = ?4 AND day = ?5 AND count <= 0"
)
DELETE_RECORD = "DELETE FROM records WHERE source = ? AND record_id = ?"
DELETE_CONSENT = "DELETE FROM consent WHERE key = ? AND purpose = ?"
# (batch_id, kind, source, key, other): a row's identity, its `pk` decoded.
DELETE_PROVENANCE = (
    "DELETE FROM provenance "
    "WHERE batch_id = ? AND kind = ? AND source = ? AND key = ? AND other = ?"
)
DELETE_PROVENANCE_OF = "DELETE FROM provenance WHERE key = ?"  # (key,)
DELETE_LINK_PROVENANCE_OF = "DELETE FROM provenance WHERE kind = 'link' AND other = ?"  # (key,)
DELETE_HUB_STATE_OF = "DELETE FROM hub_states WHERE key = ?"  # (key,)
ADD_TOMBSTONE = "INSERT OR IGNORE INTO tombstones (digest, at) VALUES (?, ?)"
# Erasure (ChangeSet fields 23-27).
DELETE_REVIEWS_OF_A = "DELETE FROM review_queue WHERE a = ?"  # (key,)
DELETE_REVIEWS_OF_B = "DELETE FROM review_queue WHERE b = ?"  # (key,)
DELETE_REFUSED_OF_A = "DELETE FROM refused_merges WHERE a = ?"  # (key,)
DELETE_REFUSED_OF_B = "DELETE FROM refused_merges WHERE b = ?"  # (key,)
DELETE_UNSENT_LEDGER_OF = (  # (destination, person_id)
    "DELETE FROM export_ledger WHERE person_id = ?2 AND destination = ?1 AND sent_gen IS NULL"
)
# (prefix, the first text after every one starting with it): a range of the primary key.
DELETE_MESSAGES_FROM = "DELETE FROM messages WHERE message_id >= ?1 AND message_id < ?2"
# The salt is made once, with the schema; a copy between stores replaces it.
INIT_TOMBSTONE_SALT = "INSERT OR IGNORE INTO meta (name, value) VALUES ('tombstone_salt', $salt)"
SET_TOMBSTONE_SALT = "INSERT OR REPLACE INTO meta (name, value) VALUES ('tombstone_salt', ?)"
INIT_SCHEMA_VERSION = "INSERT INTO meta (name, value) VALUES ('schema', $version)"
SET_SCHEMA_VERSION = "UPDATE meta SET value = $version WHERE name = 'schema'"
# reset(): every table but meta, emptied in one write transaction.
RESET = (
    "DELETE FROM persons",
    "DELETE FROM identifiers",
    "DELETE FROM links",
    "DELETE FROM lineage",
    "DELETE FROM activity",
    "DELETE FROM records",
    "DELETE FROM consent",
    "DELETE FROM refused_merges",
    "DELETE FROM messages",
    "DELETE FROM match_models",
    "DELETE FROM review_queue",
    "DELETE FROM audit",
    "DELETE FROM audit_refs",
    "DELETE FROM tombstones",
    "DELETE FROM segments",
    "DELETE FROM destinations",
    "DELETE FROM export_ledger",
    "DELETE FROM api_keys",
    "DELETE FROM provenance",
    "DELETE FROM hub_states",
)
