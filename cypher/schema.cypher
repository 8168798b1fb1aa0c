// Schema of the identity graph, applied idempotently at every store start.
// Uniqueness constraints (community edition supports single and composite property
// uniqueness; NODE KEY and property existence constraints are Enterprise only) also
// give the range indexes that every MERGE and lookup by key uses.
CREATE CONSTRAINT identifier_key IF NOT EXISTS
FOR (i:Identifier) REQUIRE i.key IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS
FOR (p:Person) REQUIRE p.person_id IS UNIQUE;
CREATE CONSTRAINT message_id IF NOT EXISTS
FOR (m:Message) REQUIRE m.message_id IS UNIQUE;
CREATE CONSTRAINT record_source_id IF NOT EXISTS
FOR (r:Record) REQUIRE (r.source, r.record_id) IS UNIQUE;
CREATE CONSTRAINT product_id IF NOT EXISTS
FOR (t:Product) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT campaign_id IF NOT EXISTS
FOR (t:Campaign) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT case_id IF NOT EXISTS
FOR (t:Case) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT meta_name IF NOT EXISTS
FOR (m:Meta) REQUIRE m.name IS UNIQUE;
CREATE CONSTRAINT review_pair IF NOT EXISTS
FOR (r:Review) REQUIRE (r.a, r.b) IS UNIQUE;
CREATE CONSTRAINT match_model_version IF NOT EXISTS
FOR (m:MatchModel) REQUIRE m.version IS UNIQUE;
// Consent hangs off identifiers: (i)-[:CONSENT {granted, source, at}]->(:Purpose {name}).
CREATE CONSTRAINT purpose_name IF NOT EXISTS
FOR (u:Purpose) REQUIRE u.name IS UNIQUE;
// Segments, their destinations and each destination's export ledger.
CREATE CONSTRAINT segment_name IF NOT EXISTS
FOR (s:Segment) REQUIRE s.name IS UNIQUE;
CREATE CONSTRAINT destination_name IF NOT EXISTS
FOR (d:Destination) REQUIRE d.name IS UNIQUE;
CREATE CONSTRAINT ledger_row IF NOT EXISTS
FOR (l:LedgerRow) REQUIRE (l.destination, l.digest) IS UNIQUE;
// A generation's rows of a destination in digest order (adds, and the commit).
CREATE INDEX ledger_seen IF NOT EXISTS
FOR (l:LedgerRow) ON (l.destination, l.seen_gen, l.digest);
// Erased identifiers: a salted hash of the key, so that a replay cannot stitch one back.
CREATE CONSTRAINT tombstone_digest IF NOT EXISTS
FOR (t:Tombstone) REQUIRE t.digest IS UNIQUE;
// Erasure deletes a key's review pairs and refusals by either end, and a person's unsent
// ledger rows.
CREATE INDEX review_b IF NOT EXISTS
FOR (r:Review) ON (r.b);
CREATE INDEX refused_merge_a IF NOT EXISTS
FOR (r:RefusedMerge) ON (r.a);
CREATE INDEX refused_merge_b IF NOT EXISTS
FOR (r:RefusedMerge) ON (r.b);
CREATE INDEX ledger_person IF NOT EXISTS
FOR (l:LedgerRow) ON (l.person_id);
// hubs(): the few flagged identifiers, without scanning every identifier.
CREATE INDEX identifier_is_hub IF NOT EXISTS
FOR (i:Identifier) ON (i.is_hub);
// cannot_links(): the few steward cannot-links among all links.
CREATE INDEX link_status IF NOT EXISTS
FOR ()-[l:LINKED]-() ON (l.status);
// refused_merges() and audit_log(): newest first (by unit of work and position), LIMIT n.
CREATE INDEX refused_merge_seq IF NOT EXISTS
FOR (r:RefusedMerge) ON (r.seq);
CREATE INDEX audit_seq IF NOT EXISTS
FOR (e:Audit) ON (e.seq);
// refused_merges(persons=...): the refusals between two given persons.
CREATE INDEX refused_merge_person IF NOT EXISTS
FOR (r:RefusedMerge) ON (r.person_a);
CREATE INDEX audit_subject IF NOT EXISTS
FOR (e:Audit) ON (e.subject);
// The audit trail by person and by identifier: (:Audit)-[:REFERS]->(:AuditRef {kind, ref}).
CREATE CONSTRAINT audit_ref IF NOT EXISTS
FOR (r:AuditRef) REQUIRE (r.kind, r.ref) IS UNIQUE;
// redact_audit: the old review decisions (opaque pair-ID subjects, unindexed) by action.
CREATE INDEX audit_action IF NOT EXISTS
FOR (e:Audit) ON (e.action);
// The review queue, highest probability first, of one status or of all.
CREATE INDEX review_status_probability IF NOT EXISTS
FOR (r:Review) ON (r.status, r.probability);
CREATE INDEX review_probability IF NOT EXISTS
FOR (r:Review) ON (r.probability);
// latest_model(): the newest of the saved match models.
CREATE INDEX match_model_created_at IF NOT EXISTS
FOR (m:MatchModel) ON (m.created_at);
// API keys: a SHA-256 digest of each key, never the key; the name is the audit actor.
CREATE CONSTRAINT api_key_name IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.name IS UNIQUE;
CREATE CONSTRAINT api_key_digest IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.digest IS UNIQUE;
// Provenance: which batch and source wrote which evidence (pk sorts a batch's rows
// together); by key for provenance_of() and deletions, by source and batch for batches().
CREATE CONSTRAINT provenance_pk IF NOT EXISTS
FOR (p:Provenance) REQUIRE p.pk IS UNIQUE;
CREATE INDEX provenance_key IF NOT EXISTS
FOR (p:Provenance) ON (p.key);
CREATE INDEX provenance_other IF NOT EXISTS
FOR (p:Provenance) ON (p.other);
CREATE INDEX provenance_source IF NOT EXISTS
FOR (p:Provenance) ON (p.source);
CREATE INDEX provenance_batch IF NOT EXISTS
FOR (p:Provenance) ON (p.batch_id);
// Stewards' hub decisions.
CREATE CONSTRAINT hub_state_key IF NOT EXISTS
FOR (h:HubState) REQUIRE h.key IS UNIQUE;
