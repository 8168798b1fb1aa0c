"""A copy between stores (`scan`, `import_rows`, `row_counts`): each kind's rows in the
shape of `contract.EXPORT_KINDS`, bound by name from the exported dicts. Imports are upserts
by the row's identity; append-only
rows keep their order (`seq` becomes the row's id)."""

from __future__ import annotations

from collections.abc import Mapping

SCANS: Mapping[str, str] = {
    "messages": "SELECT message_id, at FROM messages",
    "persons": "SELECT person_id, created_at, updated_at, merged_into FROM persons",
    "identifiers": (
        "SELECT key, type, value, person_id, first_seen, last_seen, is_hub, hub_reason, "
        "joined FROM identifiers"
    ),
    "links": (
        "SELECT a, b, weight, kind, sources, evidence, count, first_seen, last_seen, status "
        "FROM links"
    ),
    "lineage": "SELECT from_id, to_id, kind, at, reason FROM lineage ORDER BY rowid",
    "activity": (
        "SELECT key, kind, target_type, target_id, day, count, first_at, last_at, amount "
        "FROM activity"
    ),
    "records": (
        "SELECT source, record_id, key, attributes, observed_at FROM records "
        "ORDER BY source, record_id"
    ),
    "consent": "SELECT key, purpose, granted, source, at FROM consent",
    "refused_merges": (
        "SELECT id AS seq, a, b, person_a, person_b, rule, reason, at FROM refused_merges "
        "ORDER BY id"
    ),
    "reviews": (
        "SELECT a, b, probability, evidence, fingerprint, status, created_at, decided_at, "
        "decided_by, comment FROM review_queue"
    ),
    "audit": "SELECT id AS seq, at, actor, action, subject, detail FROM audit ORDER BY id",
    "models": "SELECT version, created_at, body FROM match_models",
    "tombstones": "SELECT digest, at FROM tombstones",
    "segments": "SELECT name, body, created_at, updated_at FROM segments",
    "destinations": (
        "SELECT name, platform, segment, created_at, gen, last_export_at, lease, lease_at "
        "FROM destinations"
    ),
    "ledger": ("SELECT destination, digest, row, person_id, sent_gen, seen_gen FROM export_ledger"),
    "api_keys": (
        "SELECT name, role, digest, segments, destinations, created_at, revoked_at FROM api_keys"
    ),
    # `pk` is added to each row: the text identity other stores key by.
    "provenance": "SELECT batch_id, kind, source, key, other, count, amount, at FROM provenance",
    "hub_states": "SELECT key, state, reason, at, actor FROM hub_states",
}
ROW_COUNTS = (
    "SELECT (SELECT count(*) FROM messages) AS messages, "
    "(SELECT count(*) FROM persons) AS persons, "
    "(SELECT count(*) FROM identifiers) AS identifiers, "
    "(SELECT count(*) FROM links) AS links, "
    "(SELECT count(*) FROM lineage) AS lineage, "
    "(SELECT count(*) FROM activity) AS activity, "
    "(SELECT count(*) FROM records) AS records, "
    "(SELECT count(*) FROM consent) AS consent, "
    "(SELECT count(*) FROM refused_merges) AS refused_merges, "
    "(SELECT count(*) FROM review_queue) AS reviews, "
    "(SELECT count(*) FROM audit) AS audit, "
    "(SELECT count(*) FROM match_models) AS models, "
    "(SELECT count(*) FROM tombstones) AS tombstones, "
    "(SELECT count(*) FROM segments) AS segments, "
    "(SELECT count(*) FROM destinations) AS destinations, "
    "(SELECT count(*) FROM export_ledger) AS ledger, "
    "(SELECT count(*) FROM api_keys) AS api_keys, "
    "(SELECT count(*) FROM provenance) AS provenance, "
    "(SELECT count(*) FROM hub_states) AS hub_states"
)
IMPORTS: Mapping[str, str] = {
    "messages": "INSERT OR REPLACE INTO messages (message_id, at) VALUES ($message_id, $at)",
    "persons": (
        "INSERT OR REPLACE INTO persons (person_id, created_at, updated_at, merged_into) "
        "VALUES ($person_id, $created_at, $updated_at, $merged_into)"
    ),
    "identifiers": (
        "INSERT OR REPLACE INTO identifiers (key, type, value, person_id, first_seen, "
        "last_seen, is_hub, hub_reason, joined) VALUES ($key, $type, $value, $person_id, "
        "$first_seen, $last_seen, $is_hub, $hub_reason, $joined)"
    ),
    "links": (
        "INSERT OR REPLACE INTO links (a, b, weight, kind, sources, evidence, count, "
        "first_seen, last_seen, status) VALUES ($a, $b, $weight, $kind, $sources, $evidence, "
        "$count, $first_seen, $last_seen, $status)"
    ),
    "lineage": (
        "INSERT INTO lineage (from_id, to_id, kind, at, reason) "
        "SELECT $from_id, $to_id, $kind, $at, $reason WHERE NOT EXISTS (SELECT 1 FROM lineage "
        "WHERE from_id = $from_id AND to_id = $to_id AND kind = $kind AND at = $at "
        "AND reason = $reason)"
    ),
    "activity": (
        "INSERT OR REPLACE INTO activity (key, kind, target_type, target_id, day, count, "
        "first_at, last_at, amount, person_id) VALUES ($key, $kind, $target_type, $target_id, "
        "$day, $count, $first_at, $last_at, $amount, "
        "(SELECT person_id FROM identifiers WHERE key = $key))"
    ),
    "records": (
        "INSERT OR REPLACE INTO records (source, record_id, key, attributes, observed_at) "
        "VALUES ($source, $record_id, $key, $attributes, $observed_at)"
    ),
    "consent": (
        "INSERT OR REPLACE INTO consent (key, purpose, granted, source, at, person_id) "
        "VALUES ($key, $purpose, $granted, $source, $at, "
        "(SELECT person_id FROM identifiers WHERE key = $key))"
    ),
    "refused_merges": (
        "INSERT OR REPLACE INTO refused_merges (id, a, b, person_a, person_b, rule, reason, "
        "at) VALUES ($seq, $a, $b, $person_a, $person_b, $rule, $reason, $at)"
    ),
    "reviews": (
        "INSERT OR REPLACE INTO review_queue (a, b, probability, evidence, fingerprint, "
        "status, created_at, decided_at, decided_by, comment) VALUES ($a, $b, $probability, "
        "$evidence, $fingerprint, $status, $created_at, $decided_at, $decided_by, $comment)"
    ),
    "audit": (
        "INSERT OR REPLACE INTO audit (id, at, actor, action, subject, detail) "
        "VALUES ($seq, $at, $actor, $action, $subject, $detail)"
    ),
    "models": (
        "INSERT OR REPLACE INTO match_models (version, created_at, body) "
        "VALUES ($version, $created_at, $body)"
    ),
    # A tombstone is never changed once written: the first one's time stays.
    "tombstones": "INSERT OR IGNORE INTO tombstones (digest, at) VALUES ($digest, $at)",
    "segments": (
        "INSERT OR REPLACE INTO segments (name, body, created_at, updated_at) "
        "VALUES ($name, $body, $created_at, $updated_at)"
    ),
    "destinations": (
        "INSERT OR REPLACE INTO destinations (name, platform, segment, created_at, gen, "
        "last_export_at, lease, lease_at) VALUES ($name, $platform, $segment, $created_at, "
        "$gen, $last_export_at, $lease, $lease_at)"
    ),
    "ledger": (
        "INSERT OR REPLACE INTO export_ledger (destination, digest, row, person_id, sent_gen, "
        "seen_gen) VALUES ($destination, $digest, $row, $person_id, $sent_gen, $seen_gen)"
    ),
    "api_keys": (
        "INSERT OR REPLACE INTO api_keys (name, role, digest, segments, destinations, "
        "created_at, revoked_at) VALUES ($name, $role, $digest, $segments, $destinations, "
        "$created_at, $revoked_at)"
    ),
    "provenance": (
        "INSERT OR REPLACE INTO provenance (batch_id, kind, source, key, other, count, "
        "amount, at) VALUES ($batch_id, $kind, $source, $key, $other, $count, $amount, $at)"
    ),
    "hub_states": (
        "INSERT OR REPLACE INTO hub_states (key, state, reason, at, actor) "
        "VALUES ($key, $state, $reason, $at, $actor)"
    ),
}
