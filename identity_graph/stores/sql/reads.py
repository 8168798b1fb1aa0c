"""Reads. Templates (`*_IN`) take the batch's values as `%%marker%%` lists."""

from __future__ import annotations

IDENTIFIER_COLUMNS = (
    "i.key, i.type, i.value, i.person_id, i.first_seen, i.last_seen, i.is_hub, i.hub_reason, "
    "i.joined"
)
LINK_COLUMNS = (
    "l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, l.last_seen, "
    "l.status"
)
REVIEW_COLUMNS = (
    "a, b, probability, evidence, fingerprint, status, created_at, decided_at, decided_by, comment"
)

IDENTIFIERS_IN = (
    "SELECT i.key, i.type, i.value, i.person_id, i.first_seen, i.last_seen, i.is_hub, "
    "i.hub_reason, i.joined FROM identifiers i WHERE i.key IN (%%keys%%)"
)
LINEAGE_IN = (
    "SELECT from_id, to_id, kind, at, reason FROM lineage WHERE from_id IN (%%ids%%) "
    "UNION SELECT from_id, to_id, kind, at, reason FROM lineage WHERE to_id IN (%%ids%%)"
)
PERSONS_IN = (
    "SELECT person_id, created_at, updated_at, merged_into FROM persons "
    "WHERE person_id IN (%%ids%%)"
)
MEMBERS_IN = (
    "SELECT i.key, i.type, i.value, i.person_id, i.first_seen, i.last_seen, i.is_hub, "
    "i.hub_reason, i.joined FROM identifiers i WHERE i.person_id IN (%%ids%%) "
    "ORDER BY i.person_id, i.type, i.value"
)
LINKS_BY_A_IN = (
    "SELECT l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, "
    "l.last_seen, l.status FROM links l WHERE l.a IN (%%keys%%)"
)
LINKS_BY_B_IN = (
    "SELECT l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, "
    "l.last_seen, l.status FROM links l WHERE l.b IN (%%keys%%)"
)
# The pairs as a table of row values, joined on the primary key: one lookup per pair.
PAIR_LINKS_IN = (
    "WITH p(a, b) AS (VALUES %%pairs%%) "
    "SELECT l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, "
    "l.last_seen, l.status FROM p JOIN links l ON l.a = p.a AND l.b = p.b"
)
# From each person's identifiers (index on person_id) to their links by `a` (the primary
# key's prefix), then `b`'s person by key: linear in the person's links.
PERSON_LINKS_IN = (
    "SELECT l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, "
    "l.last_seen, l.status FROM identifiers i CROSS JOIN links l ON l.a = i.key "
    "CROSS JOIN identifiers j ON j.key = l.b "
    "WHERE i.person_id IN (%%ids%%) AND j.person_id = i.person_id ORDER BY l.a, l.b"
)
PERSON_LINKS_ACROSS_IN = (
    "SELECT l.a, l.b, l.weight, l.kind, l.sources, l.evidence, l.count, l.first_seen, "
    "l.last_seen, l.status FROM identifiers i CROSS JOIN links l ON l.a = i.key "
    "CROSS JOIN identifiers j ON j.key = l.b "
    "WHERE i.person_id IN (%%ids%%) AND j.person_id IN (%%ids%%) "
    "AND j.person_id != i.person_id ORDER BY l.a, l.b"
)
SEEN_MESSAGES_IN = "SELECT message_id FROM messages WHERE message_id IN (%%ids%%)"
ACTIVITY_IN = (
    "SELECT key, kind, target_type, target_id, day, count, first_at, last_at, amount "
    "FROM activity WHERE key IN (%%keys%%) ORDER BY key, kind, target_type, target_id, day"
)
CONSENT_IN = (
    "SELECT key, purpose, granted, source, at FROM consent WHERE key IN (%%keys%%) "
    "ORDER BY key, purpose"
)
RECORDS_IN = (
    "SELECT source, record_id, key, attributes, observed_at FROM records "
    "WHERE key IN (%%keys%%) ORDER BY observed_at DESC, key, source, record_id"
)
TYPE_COUNTS_IN = (
    "SELECT person_id, type, count(*) FROM identifiers "
    "WHERE person_id IN (%%ids%%) GROUP BY person_id, type"
)
# Few links are cannot-links: read them from their partial index, keep those of the persons.
CANNOT_LINKS_IN = (
    "SELECT ia.person_id, ib.person_id FROM links l INDEXED BY links_cannot "
    "JOIN identifiers ia ON ia.key = l.a JOIN identifiers ib ON ib.key = l.b "
    "WHERE l.status = 'cannot_link' AND (ia.person_id IN (%%ids%%) OR ib.person_id IN (%%ids%%))"
)
REFUSED_MERGES = (
    "SELECT a, b, person_a, person_b, rule, reason, at FROM refused_merges "
    "ORDER BY id DESC LIMIT $limit"
)
REFUSED_MERGES_BETWEEN_IN = (
    "SELECT a, b, person_a, person_b, rule, reason, at FROM refused_merges "
    "WHERE person_a IN (%%ids%%) AND person_b IN (%%ids%%) ORDER BY id DESC LIMIT $limit"
)
HUBS = (
    "SELECT i.key, i.type, i.value, i.person_id, i.first_seen, i.last_seen, i.is_hub, "
    "i.hub_reason, i.joined FROM identifiers i WHERE i.is_hub = 1 ORDER BY i.key LIMIT $limit"
)
HUBS_OF_IN = (
    "SELECT i.key, i.type, i.value, i.person_id, i.first_seen, i.last_seen, i.is_hub, "
    "i.hub_reason, i.joined FROM identifiers i WHERE i.is_hub = 1 AND i.person_id IN (%%ids%%) "
    "ORDER BY i.key LIMIT $limit"
)
REVIEWS = (
    "SELECT a, b, probability, evidence, fingerprint, status, created_at, decided_at, "
    "decided_by, comment FROM review_queue "
    "WHERE ($status IS NULL OR status = $status) AND probability >= $min_probability "
    "AND probability <= $max_probability ORDER BY probability DESC, a, b "
    "LIMIT $limit OFFSET $offset"
)
COUNT_REVIEWS = "SELECT count(*) FROM review_queue WHERE $status IS NULL OR status = $status"
REVIEW_PAIRS_IN = (
    "WITH p(a, b) AS (VALUES %%pairs%%) "
    "SELECT r.a, r.b, r.probability, r.evidence, r.fingerprint, r.status, r.created_at, "
    "r.decided_at, r.decided_by, r.comment FROM p JOIN review_queue r ON r.a = p.a AND r.b = p.b"
)
# The audit trail newest first; each filter is off when its parameter is NULL.
AUDIT = (
    "SELECT a.at, a.actor, a.action, a.subject, a.detail FROM audit a "
    "WHERE "
    "($subject IS NULL OR a.subject = $subject) AND ($action IS NULL OR a.action = $action) "
    "AND ($since IS NULL OR a.at >= $since) AND ($until IS NULL OR a.at < $until) "
    "ORDER BY a.id DESC LIMIT $limit"
)
# By person or identifier: the candidate rows come from the index (audit_refs), not from a
# scan of the trail. A person's rows are those naming it, and those naming an identifier
# that belongs to `members_of` now; `identifier` narrows either (or alone selects).
AUDIT_MENTIONING = (
    "SELECT a.at, a.actor, a.action, a.subject, a.detail FROM audit a WHERE a.id IN ("
    "SELECT audit_id FROM audit_refs WHERE kind = 'person' AND ref = $person "
    "UNION SELECT r.audit_id FROM identifiers i JOIN audit_refs r "
    "ON r.kind = 'identifier' AND r.ref = i.key WHERE i.person_id = $members_of "
    "AND $person IS NOT NULL "
    "UNION SELECT audit_id FROM audit_refs WHERE $person IS NULL AND kind = 'identifier' "
    "AND ref = $identifier) "
    "AND ($identifier IS NULL OR a.id IN (SELECT audit_id FROM audit_refs "
    "WHERE kind = 'identifier' AND ref = $identifier)) "
    "AND "
    "($subject IS NULL OR a.subject = $subject) AND ($action IS NULL OR a.action = $action) "
    "AND ($since IS NULL OR a.at >= $since) AND ($until IS NULL OR a.at < $until) "
    "ORDER BY a.id DESC LIMIT $limit"
)
# redact_audit: review decisions recorded before subjects were readable (their subject is
# the opaque pair ID, their detail names no keys, the index holds nothing of them).
LEGACY_REVIEW_AUDIT = (
    "SELECT id, action, subject, detail FROM audit INDEXED BY audit_legacy_reviews "
    "WHERE action IN ('review.approve', 'review.reject') AND instr(subject, ' <-> ') = 0"
)
# redact_audit: the rows whose index names one of the keys.
AUDIT_MENTIONING_KEYS_IN = (
    "SELECT DISTINCT a.id, a.subject, a.detail FROM audit_refs r JOIN audit a "
    "ON a.id = r.audit_id WHERE r.kind = 'identifier' AND r.ref IN (%%keys%%)"
)
TOMBSTONES_IN = "SELECT digest FROM tombstones WHERE digest IN (%%digests%%)"
HAS_TOMBSTONES = "SELECT EXISTS (SELECT 1 FROM tombstones)"
TOMBSTONE_SALT = "SELECT value FROM meta WHERE name = 'tombstone_salt'"
# Old IDs resolving to these persons: MERGED_INTO lineage followed backwards (index lineage_to).
ABSORBED_IN = (
    "WITH RECURSIVE up(id) AS ("
    "SELECT from_id FROM lineage WHERE kind = 'MERGED_INTO' AND to_id IN (%%ids%%) "
    "UNION SELECT l.from_id FROM lineage l JOIN up ON l.to_id = up.id "
    "WHERE l.kind = 'MERGED_INTO') SELECT id FROM up"
)
STATS = (
    "SELECT (SELECT count(*) FROM identifiers), (SELECT count(*) FROM links), "
    "(SELECT count(DISTINCT person_id) FROM identifiers), "
    "(SELECT count(*) FROM identifiers WHERE is_hub = 1), "
    "(SELECT count(*) FROM refused_merges), (SELECT count(*) FROM activity), "
    "(SELECT count(*) FROM records), (SELECT count(*) FROM consent)"
)
SEGMENTS = "SELECT name, body, created_at, updated_at FROM segments ORDER BY name"
SEGMENTS_IN = (
    "SELECT name, body, created_at, updated_at FROM segments WHERE name IN (%%names%%) "
    "ORDER BY name"
)
DESTINATIONS = (
    "SELECT name, platform, segment, created_at, gen, last_export_at, lease, lease_at "
    "FROM destinations ORDER BY name"
)
DESTINATIONS_IN = (
    "SELECT name, platform, segment, created_at, gen, last_export_at, lease, lease_at "
    "FROM destinations WHERE name IN (%%names%%) ORDER BY name"
)
API_KEYS = (
    "SELECT name, role, digest, segments, destinations, created_at, revoked_at FROM api_keys "
    "ORDER BY name"
)
API_KEYS_IN = (
    "SELECT name, role, digest, segments, destinations, created_at, revoked_at FROM api_keys "
    "WHERE name IN (%%names%%) ORDER BY name"
)
API_KEY_BY_DIGEST = (
    "SELECT name, role, digest, segments, destinations, created_at, revoked_at FROM api_keys "
    "WHERE digest = $digest"
)
# Keyset pages by digest: `after` is '' for the first page.
LEDGER_ADDS = (
    "SELECT destination, digest, row, person_id, seen_gen FROM export_ledger "
    "WHERE destination = $destination AND seen_gen = $gen AND sent_gen IS NULL "
    "AND digest > $after ORDER BY digest LIMIT $limit"
)
LEDGER_REMOVES = (
    "SELECT destination, digest, row, person_id, seen_gen FROM export_ledger "
    "WHERE destination = $destination AND digest > $after AND sent_gen IS NOT NULL "
    "AND seen_gen < $gen ORDER BY digest LIMIT $limit"
)
LEDGER_SIZE = (
    "SELECT count(*) FROM export_ledger WHERE destination = $destination AND sent_gen IS NOT NULL"
)
LATEST_MODEL = (
    "SELECT version, body FROM match_models ORDER BY created_at DESC, version DESC LIMIT 1"
)
TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
SCHEMA_VERSION = "SELECT value FROM meta WHERE name = 'schema'"
PROVENANCE_COLUMNS = "batch_id, kind, source, key, other, count, amount, at"
# A page of one batch by the primary key, after the identity of the previous page's last row
# (empty texts before the first: no row has an empty kind).
PROVENANCE_PAGE = (
    "SELECT batch_id, kind, source, key, other, count, amount, at FROM provenance "
    "WHERE batch_id = $batch_id AND (kind, source, key, other) > ($kind, $source, $key, $other) "
    "ORDER BY kind, source, key, other LIMIT $limit"
)
PROVENANCE_OF_IN = (
    "WITH p(kind, key, other) AS (VALUES %%items%%) "
    "SELECT v.batch_id, v.kind, v.source, v.key, v.other, v.count, v.amount, v.at "
    "FROM p JOIN provenance v ON v.key = p.key AND v.kind = p.kind AND v.other = p.other"
)
# Every batch's totals (a scan of the provenance), or those of the batches of one source.
BATCHES = (
    "SELECT batch_id, min(at), group_concat(DISTINCT source), "
    "sum(kind = 'link'), sum(CASE WHEN kind = 'link' THEN count ELSE 0 END), "
    "sum(kind = 'record'), sum(CASE WHEN kind = 'activity' THEN count ELSE 0 END), "
    "sum(CASE WHEN kind = 'activity' THEN amount ELSE 0 END), sum(kind = 'consent'), "
    "sum(kind = 'identifier') FROM provenance "
    "WHERE $source IS NULL OR batch_id IN (SELECT batch_id FROM provenance WHERE source = $source) "
    "GROUP BY batch_id ORDER BY min(at) DESC, batch_id DESC LIMIT $limit"
)
HUB_STATES_IN = "SELECT key, state, reason, at, actor FROM hub_states WHERE key IN (%%keys%%)"
