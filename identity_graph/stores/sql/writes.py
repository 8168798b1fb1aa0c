"""Writes of `ChangeSet` fields (named parameters from the rows' fields), in apply order."""

from __future__ import annotations

ADD_MESSAGE = "INSERT OR IGNORE INTO messages (message_id, at) VALUES ($message_id, $at)"
ADD_PERSON = (
    "INSERT INTO persons (person_id, created_at, updated_at, merged_into) "
    "VALUES ($person_id, $created_at, $updated_at, $merged_into)"
)
MERGE_PERSON = "UPDATE persons SET merged_into = $winner, updated_at = $at WHERE person_id = $loser"
MOVE_MEMBERS = "UPDATE identifiers SET person_id = $target WHERE person_id = $loser"
ADD_IDENTIFIER = (
    "INSERT INTO identifiers (key, type, value, person_id, first_seen, last_seen) "
    "VALUES ($key, $type, $value, $person_id, $first_seen, $last_seen)"
)
WIDEN_IDENTIFIER = (
    "UPDATE identifiers SET first_seen = min(first_seen, $first_seen), "
    "last_seen = max(last_seen, $last_seen) WHERE key = $key"
)
ASSIGN_IDENTIFIER = "UPDATE identifiers SET person_id = $person_id WHERE key = $key"
UPSERT_LINK = (
    "INSERT OR REPLACE INTO links (a, b, weight, kind, sources, evidence, count, first_seen, "
    "last_seen, status) VALUES ($a, $b, $weight, $kind, $sources, $evidence, $count, "
    "$first_seen, $last_seen, $status)"
)
ADD_ACTIVITY = (
    "INSERT INTO activity (key, kind, target_type, target_id, count, first_at, last_at, amount) "
    "VALUES ($key, $kind, $target_type, $target_id, $count, $first_at, $last_at, $amount) "
    "ON CONFLICT (key, kind, target_type, target_id) DO UPDATE SET "
    "count = count + excluded.count, amount = amount + excluded.amount, "
    "first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)"
)
UPSERT_RECORD = (
    "INSERT INTO records (source, record_id, key, attributes, observed_at) "
    "VALUES ($source, $record_id, $key, $attributes, $observed_at) "
    "ON CONFLICT (source, record_id) DO UPDATE SET key = excluded.key, "
    "attributes = excluded.attributes, observed_at = excluded.observed_at "
    "WHERE excluded.observed_at >= observed_at"
)
ADD_REFUSED_MERGE = (
    "INSERT INTO refused_merges (a, b, person_a, person_b, rule, reason, at) "
    "VALUES ($a, $b, $person_a, $person_b, $rule, $reason, $at)"
)
ADD_LINEAGE = (
    "INSERT INTO lineage (from_id, to_id, kind, at, reason) "
    "VALUES ($from_id, $to_id, $kind, $at, $reason)"
)
ADD_AUDIT = (
    "INSERT INTO audit (at, actor, action, subject, detail) "
    "VALUES ($at, $actor, $action, $subject, $detail)"
)
FLAG_HUB = "UPDATE identifiers SET is_hub = 1, hub_reason = $reason WHERE key = $key"
SET_JOINED = "UPDATE identifiers SET joined = $joined WHERE key = $key"
TOUCH_PERSON = "UPDATE persons SET updated_at = $at WHERE person_id = $person_id"
UPSERT_REVIEW = (
    "INSERT OR REPLACE INTO review_queue (a, b, probability, evidence, fingerprint, status, "
    "created_at, decided_at, decided_by, comment) VALUES ($a, $b, $probability, $evidence, "
    "$fingerprint, $status, $created_at, $decided_at, $decided_by, $comment)"
)
UPSERT_MODEL = (
    "INSERT OR REPLACE INTO match_models (version, created_at, body) "
    "VALUES ($version, $created_at, $body)"
)
DELETE_LINK = "DELETE FROM links WHERE a = $a AND b = $b"
DELETE_LINKS_OF_A = "DELETE FROM links WHERE a = $key"
DELETE_LINKS_OF_B = "DELETE FROM links WHERE b = $key"
DELETE_ACTIVITY_OF = "DELETE FROM activity WHERE key = $key"
DELETE_RECORDS_OF = "DELETE FROM records WHERE key = $key"
DELETE_IDENTIFIER = "DELETE FROM identifiers WHERE key = $key"
DELETE_LINEAGE_OF = "DELETE FROM lineage WHERE from_id = $person_id OR to_id = $person_id"
DELETE_PERSON = "DELETE FROM persons WHERE person_id = $person_id"
ADD_TOMBSTONE = "INSERT OR IGNORE INTO tombstones (digest, at) VALUES ($digest, $at)"
INIT_SCHEMA_VERSION = "INSERT INTO meta (name, value) VALUES ('schema', $version)"
# reset(): every table but meta, emptied in one write transaction.
RESET = (
    "DELETE FROM persons",
    "DELETE FROM identifiers",
    "DELETE FROM links",
    "DELETE FROM lineage",
    "DELETE FROM activity",
    "DELETE FROM records",
    "DELETE FROM refused_merges",
    "DELETE FROM messages",
    "DELETE FROM match_models",
    "DELETE FROM review_queue",
    "DELETE FROM audit",
    "DELETE FROM tombstones",
)
