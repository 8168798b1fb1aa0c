-- The embedded store. Text timestamps are ISO-8601 UTC and sort as text.
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS persons (
    person_id   TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    merged_into TEXT            -- set when merged: the old ID keeps resolving
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identifiers (
    key        TEXT PRIMARY KEY,   -- type:normalized_value
    type       TEXT NOT NULL,
    value      TEXT NOT NULL,
    person_id  TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    is_hub     INTEGER NOT NULL DEFAULT 0,
    hub_reason TEXT,
    joined     TEXT NOT NULL DEFAULT ''  -- persons it linked to besides its own (hubs)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identifiers_by_person ON identifiers (person_id, type);
-- hubs(): the few flagged identifiers, without scanning every identifier.
CREATE INDEX IF NOT EXISTS identifiers_hubs ON identifiers (key) WHERE is_hub = 1;
CREATE INDEX IF NOT EXISTS identifiers_hubs_by_person ON identifiers (person_id) WHERE is_hub = 1;
CREATE TABLE IF NOT EXISTS links (
    a          TEXT NOT NULL,      -- a < b: links are undirected
    b          TEXT NOT NULL,
    weight     REAL NOT NULL,
    kind       TEXT NOT NULL,      -- deterministic | probabilistic | steward
    sources    TEXT NOT NULL,      -- comma-separated distinct source labels
    evidence   TEXT NOT NULL DEFAULT '{}',
    count      INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'active',  -- active | refused | cannot_link
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_by_b ON links (b);
-- links(keys) by b, person_links() joins links on a (the primary key) from a person's
-- identifiers (identifiers_by_person) and checks b's person by key: linear in its links.
CREATE INDEX IF NOT EXISTS links_cannot ON links (status) WHERE status = 'cannot_link';
CREATE TABLE IF NOT EXISTS lineage (
    from_id TEXT NOT NULL,
    to_id   TEXT NOT NULL,
    kind    TEXT NOT NULL,          -- MERGED_INTO | SPLIT_FROM
    at      TEXT NOT NULL,
    reason  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_from ON lineage (from_id);
CREATE INDEX IF NOT EXISTS lineage_to ON lineage (to_id);
-- One row per identifier, target and UTC day (YYYY-MM-DD) of the events.
CREATE TABLE IF NOT EXISTS activity (
    key         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    count       INTEGER NOT NULL,
    first_at    TEXT NOT NULL,
    last_at     TEXT NOT NULL,
    amount      REAL NOT NULL DEFAULT 0,
    -- The identifier's person, kept equal to identifiers.person_id (trigger below): a
    -- segment counts per person from this index alone, without a lookup per row.
    person_id   TEXT,
    PRIMARY KEY (key, kind, target_type, target_id, day)
) WITHOUT ROWID;
-- Segments start from the target (who bought p1 in the last 30 days), covering.
CREATE INDEX IF NOT EXISTS activity_by_target
    ON activity (kind, target_id, day, person_id, count);
-- ... and, within a segment's candidates, from the person.
CREATE INDEX IF NOT EXISTS activity_by_person
    ON activity (person_id, kind, target_id, day, count);
CREATE TABLE IF NOT EXISTS records (
    source      TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    key         TEXT NOT NULL,
    attributes  TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    PRIMARY KEY (source, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_key ON records (key);
-- The newest consent signal per identifier and purpose (on a tie, a denial).
CREATE TABLE IF NOT EXISTS consent (
    key     TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    source  TEXT NOT NULL,
    at      TEXT NOT NULL,
    person_id TEXT,  -- the identifier's person, as in activity
    PRIMARY KEY (key, purpose)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consent_by_purpose ON consent (purpose, person_id, at, granted);
CREATE INDEX IF NOT EXISTS consent_by_person ON consent (person_id, purpose, at, granted);
-- Activity and consent follow their identifier to its new person (merges, splits, moves),
-- whichever statement moves it.
CREATE TRIGGER IF NOT EXISTS identifier_moves AFTER UPDATE OF person_id ON identifiers
WHEN NEW.person_id IS NOT OLD.person_id
BEGIN
    UPDATE activity SET person_id = NEW.person_id WHERE key = NEW.key;
    UPDATE consent SET person_id = NEW.person_id WHERE key = NEW.key;
END;
CREATE TABLE IF NOT EXISTS refused_merges (
    id       INTEGER PRIMARY KEY,
    a        TEXT NOT NULL,
    b        TEXT NOT NULL,
    person_a TEXT NOT NULL,
    person_b TEXT NOT NULL,
    rule     TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       TEXT NOT NULL
);
-- refused_merges(persons=...): the refusals between two given persons.
CREATE INDEX IF NOT EXISTS refused_by_person ON refused_merges (person_a, person_b);
-- Erasure deletes the refusals of a key by either end.
CREATE INDEX IF NOT EXISTS refused_by_a ON refused_merges (a);
CREATE INDEX IF NOT EXISTS refused_by_b ON refused_merges (b);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    at         TEXT NOT NULL
) WITHOUT ROWID;
-- Probabilistic matching: trained models (versioned), the steward's review queue, audit.
CREATE TABLE IF NOT EXISTS match_models (
    version    TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL       -- the model as JSON
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_queue (
    a           TEXT NOT NULL,     -- identifier keys of the two records, a < b
    b           TEXT NOT NULL,
    probability REAL NOT NULL,
    evidence    TEXT NOT NULL,     -- JSON: levels, contributions, field values, model version
    fingerprint TEXT NOT NULL,     -- the records' content: a changed record reopens a pair
    status      TEXT NOT NULL,     -- pending | approved | rejected
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    comment     TEXT,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS review_pending ON review_queue (status, probability DESC);
-- Erasure deletes the pairs of a key by either end (`a` is the primary key's prefix).
CREATE INDEX IF NOT EXISTS review_by_b ON review_queue (b);
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL          -- JSON
);
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject);
-- The audit trail by person and by identifier: one row per entry of an audit row's detail
-- `persons` / `identifiers` lists (identity_graph.audit.mentions), written with the row.
-- Rows written before it have no such lists and no entries here.
CREATE TABLE IF NOT EXISTS audit_refs (
    kind     TEXT NOT NULL,     -- person | identifier
    ref      TEXT NOT NULL,     -- a person ID or an identifier key
    audit_id INTEGER NOT NULL,  -- audit.id
    PRIMARY KEY (kind, ref, audit_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audit_refs_by_row ON audit_refs (audit_id);
-- redact_audit: review decisions recorded before subjects were readable (opaque pair-ID
-- subjects, nothing in audit_refs); a partial index, so only those are ever read.
CREATE INDEX IF NOT EXISTS audit_legacy_reviews ON audit (id)
    WHERE action IN ('review.approve', 'review.reject') AND instr(subject, ' <-> ') = 0;
-- Erased identifiers: a salted hash of the key, so that a replay cannot stitch one back.
CREATE TABLE IF NOT EXISTS tombstones (
    digest TEXT PRIMARY KEY,
    at     TEXT NOT NULL
) WITHOUT ROWID;
-- Segments (definitions as JSON), where they are exported to, and each destination's export
-- ledger: the rows its platform holds (sent_gen set), and those the running generation saw.
CREATE TABLE IF NOT EXISTS segments (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,      -- JSON
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS destinations (
    name           TEXT PRIMARY KEY,
    platform       TEXT NOT NULL,
    segment        TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    gen            INTEGER NOT NULL DEFAULT 0,  -- last committed export generation
    last_export_at TEXT,
    lease          TEXT,                        -- who is exporting it now
    lease_at       TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS export_ledger (
    destination TEXT NOT NULL,
    digest      TEXT NOT NULL,     -- of the row's cells
    row         TEXT NOT NULL,     -- JSON list of the row's cells
    person_id   TEXT NOT NULL,
    sent_gen    INTEGER,           -- the generation that sent it; NULL: not sent yet
    seen_gen    INTEGER NOT NULL,  -- the last generation that saw it
    PRIMARY KEY (destination, digest)
) WITHOUT ROWID;
-- A generation's rows in digest order (the index ends with the primary key).
CREATE INDEX IF NOT EXISTS export_ledger_by_seen ON export_ledger (destination, seen_gen);
-- Erasure deletes an erased person's unsent rows.
CREATE INDEX IF NOT EXISTS export_ledger_by_person ON export_ledger (person_id);
-- API keys: only a SHA-256 digest of each key; lists as JSON text. A revoked key keeps its row
-- (revoked_at set), so its name, an actor in the audit trail, is never reused.
CREATE TABLE IF NOT EXISTS api_keys (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL,
    digest       TEXT NOT NULL UNIQUE,
    segments     TEXT NOT NULL,    -- JSON list (exporter's scope)
    destinations TEXT NOT NULL,    -- JSON list (exporter's scope)
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
) WITHOUT ROWID;
-- Provenance: which ingest batch (and source) wrote which evidence (rows.ProvenanceRow), so
-- that a batch or a source can be taken back. Keyed by its identity's columns, which sort a
-- batch's rows together (keyset pages of one batch). Ingest writes about three rows an
-- event: the identity is not repeated in a text key (`ProvenanceRow.pk`), which doubled
-- each row and cost half of its insert.
CREATE TABLE IF NOT EXISTS provenance (
    batch_id TEXT NOT NULL,
    kind     TEXT NOT NULL,     -- link | record | activity | consent | identifier
    source   TEXT NOT NULL,
    key      TEXT NOT NULL,
    other    TEXT NOT NULL,     -- link: b; record: record_id; activity: its identity; consent: purpose
    count    INTEGER NOT NULL,
    amount   REAL NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (batch_id, kind, source, key, other)
) WITHOUT ROWID;
-- provenance_of() and the deletion of an identifier (as `key`, or as a link's `other`).
-- No index by source: batches() aggregates the whole table anyway, and every index costs
-- the ingest hot path.
CREATE INDEX IF NOT EXISTS provenance_by_key ON provenance (key, kind, other);
CREATE INDEX IF NOT EXISTS provenance_by_other ON provenance (other) WHERE kind = 'link';
-- Stewards' hub decisions: confirmed (still a hub) or released (never flagged again).
CREATE TABLE IF NOT EXISTS hub_states (
    key    TEXT PRIMARY KEY,
    state  TEXT NOT NULL,
    reason TEXT NOT NULL,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL
) WITHOUT ROWID;
