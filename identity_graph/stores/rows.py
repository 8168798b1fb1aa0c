"""The rows a store reads and writes, and `ChangeSet`, the one write batch.

Rows are slotted dataclasses (cheap to build in the ingest hot path). Timestamps are ISO-8601
UTC strings, which sort as text in every store. Every row a `ChangeSet` carries is final:
the core (`identity_graph.graph`) has already folded evidence into the values to store, so a
store only upserts, appends or deletes (see `ChangeSet` for what each field does).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from identity_graph.ids import IdentifierKey, Pair, PersonId
from identity_graph.views import Identifier, Link


def when(text: str | None) -> datetime | None:
    """A stored ISO timestamp as a datetime (None stays None)."""
    return datetime.fromisoformat(text) if text else None


@dataclass(slots=True)
class IdentifierRow:
    """An identifier seen by a batch, over [first_seen, last_seen]. Stored ones only widen
    their seen range with it; new ones come as `NewIdentifierRow` with their person."""

    key: IdentifierKey
    type: str
    value: str
    first_seen: str
    last_seen: str


@dataclass(slots=True)
class NewIdentifierRow:
    """An identifier the store does not hold yet, created belonging to `person_id`."""

    key: IdentifierKey
    type: str
    value: str
    first_seen: str
    last_seen: str
    person_id: PersonId


@dataclass(slots=True)
class StoredIdentifier:
    """An identifier as stored: its person, hub state and `joined` (the persons it was
    linked to besides its own, capped: the hub rule's memory)."""

    key: IdentifierKey
    type: str
    value: str
    person_id: PersonId
    first_seen: str
    last_seen: str
    is_hub: bool
    hub_reason: str | None
    joined: tuple[PersonId, ...]

    def view(self) -> Identifier:
        return Identifier(
            key=self.key,
            type=self.type,
            value=self.value,
            first_seen=when(self.first_seen),
            last_seen=when(self.last_seen),
            hub=self.is_hub,
            hub_reason=self.hub_reason,
        )


@dataclass(slots=True)
class LinkRow:
    """A link's final stored values. `a < b` always (links are undirected). `status` is
    active | refused (a rule refused the merge it would make) | cannot_link (a steward's
    reject: never joins persons). `sources` are distinct, in order of first appearance."""

    a: IdentifierKey
    b: IdentifierKey
    weight: float
    kind: str
    sources: list[str]
    evidence: str  # JSON text: the explanation of a probabilistic/steward link
    count: int
    first_seen: str
    last_seen: str
    status: str = "active"

    @property
    def pair(self) -> Pair:
        return (self.a, self.b)

    def view(self) -> Link:
        # Validated, not cast: a kind or status the model does not know fails loudly here.
        return Link.model_validate(
            {
                "a": self.a,
                "b": self.b,
                "weight": self.weight,
                "kind": self.kind,
                "status": self.status,
                "sources": list(self.sources),
                "evidence": json.loads(self.evidence or "{}"),
                "count": self.count,
                "first_seen": when(self.first_seen),
                "last_seen": when(self.last_seen),
            }
        )


@dataclass(slots=True)
class ActivityRow:
    """Activity of one identifier on one target during one UTC day (`day` is YYYY-MM-DD,
    the events' `at[:10]`): (key, kind, target_type, target_id, day) is its identity."""

    key: IdentifierKey
    kind: str
    target_type: str
    target_id: str
    day: str
    count: int
    first_at: str
    last_at: str
    amount: float


@dataclass(slots=True)
class RecordRow:
    source: str
    record_id: str
    key: IdentifierKey
    attributes: str  # JSON object text
    observed_at: str


@dataclass(slots=True)
class ConsentRow:
    """A consent signal: `key` granted (or denied) `purpose` at `at`, said by `source`.
    One is stored per (key, purpose): the newest, a denial winning a tie (`supersedes`)."""

    key: IdentifierKey
    purpose: str
    granted: bool
    source: str
    at: str


def supersedes(new: ConsentRow, old: ConsentRow) -> bool:
    """Whether `new` replaces the stored `old` signal of the same (key, purpose): it is newer,
    or as new and a denial of a grant (on a tie, a denial wins)."""
    return new.at > old.at or (new.at == old.at and old.granted and not new.granted)


def newest_consent(rows: Iterable[ConsentRow]) -> list[ConsentRow]:
    """One row per (key, purpose), the one `supersedes` keeps, in order of first appearance:
    what storing `rows` one by one leaves, whatever their order."""
    out: dict[tuple[IdentifierKey, str], ConsentRow] = {}
    for row in rows:
        old = out.get((row.key, row.purpose))
        if old is None or supersedes(row, old):
            out[(row.key, row.purpose)] = row
    return list(out.values())


@dataclass(slots=True)
class Person:
    """A person row; `merged_into` is set once it was merged (its ID keeps resolving)."""

    person_id: PersonId
    created_at: str
    updated_at: str
    merged_into: PersonId | None = None


# A new person is created with the same fields it is read back with.
PersonRow = Person


@dataclass(slots=True)
class MergeRow:
    """`loser` was joined into `winner`: it keeps redirecting to `winner`, and its
    identifiers move to `target`, the end of the batch's merge chain from `winner` (resolved
    by the core, so that the rows of one batch do not depend on each other)."""

    loser: PersonId
    winner: PersonId
    target: PersonId


@dataclass(slots=True)
class LineageRow:
    """`from_id` MERGED_INTO `to_id` (the old ID redirects there), or `from_id` SPLIT_FROM
    `to_id` (a piece that got a new ID when `to_id` fell apart)."""

    from_id: PersonId
    to_id: PersonId
    kind: str  # MERGED_INTO | SPLIT_FROM
    at: str
    reason: str


@dataclass(slots=True)
class RefusedMergeRow:
    a: IdentifierKey
    b: IdentifierKey
    person_a: PersonId
    person_b: PersonId
    rule: str
    reason: str
    at: str


@dataclass(slots=True)
class HubRow:
    key: IdentifierKey
    reason: str


@dataclass(slots=True)
class ReviewRow:
    """A pair waiting for a steward, or decided by one."""

    a: IdentifierKey
    b: IdentifierKey
    probability: float
    evidence: str  # JSON
    fingerprint: str
    status: str  # pending | approved | rejected
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None


@dataclass(slots=True)
class AuditRow:
    """One entry of the audit trail. `detail` is JSON in the shape `identity_graph.audit`
    documents; its `persons` and `identifiers` lists are indexed by the store."""

    at: str
    actor: str
    action: str
    subject: str
    detail: str  # JSON


@dataclass(slots=True)
class ModelRow:
    version: str
    created_at: str
    body: str  # the match model as JSON


@dataclass(slots=True)
class SegmentRow:
    """A stored segment: `body` is its definition as JSON text."""

    name: str
    body: str
    created_at: str
    updated_at: str


@dataclass(slots=True)
class ApiKeyRow:
    """An API key as stored: never the key, only the SHA-256 `digest` of it (a key is 256
    random bits, so a fast hash is as good as a slow one). `segments` and `destinations`
    scope an exporter's key; `revoked_at` set: refused since then. A revoked key's row stays,
    so that its name, the actor of the audit trail, is never given to another key."""

    name: str
    role: str
    digest: str
    segments: tuple[str, ...]
    destinations: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None


@dataclass(slots=True)
class DestinationRow:
    """Where a segment is exported to. `gen` is its last committed export generation (0:
    never exported); `lease`, `lease_at`: who holds the export now, since when (or None)."""

    name: str
    platform: str
    segment: str
    created_at: str
    gen: int = 0
    last_export_at: str | None = None
    lease: str | None = None
    lease_at: str | None = None


@dataclass(slots=True)
class LedgerRow:
    """One row of a destination's export ledger: what the destination's platform holds, so
    that an export sends only the difference. Identified by (destination, digest); `row` is
    the JSON text of the row's cells, `gen` the generation that saw it last (`seen_gen`).

    The store also keeps `sent_gen`, the generation that sent it (unset: not sent yet). An
    export of generation g (greater than any generation used before for the destination,
    usually its `gen` + 1) writes every current row as `ChangeSet.ledger_seen` with gen = g,
    sends `StoreReader.ledger_delta(destination, g, "add", ...)` (seen by g, never sent)
    and `"remove"` (sent before, not seen by g), then commits with
    `ChangeSet.ledger_commits = [(destination, g)]` and the destination's `gen = g`. A
    generation abandoned before its commit leaves rows the next commit forgets."""

    destination: str
    digest: str
    row: str
    person_id: PersonId
    gen: int


@dataclass(slots=True)
class TombstoneRow:
    """What is left of an erased identifier: a salted hash of its key (`tombstone_digest`),
    so that a replay of old evidence cannot stitch it back, without keeping the key."""

    digest: str
    at: str


def tombstone_digest(salt: bytes, key: IdentifierKey) -> str:
    """HMAC-SHA256 of the key under a per-deployment salt: not reversible by a dictionary
    of likely emails without the salt."""
    return hmac.new(salt, key.encode("utf-8"), hashlib.sha256).hexdigest()


#: What a provenance row says a batch wrote: a link's evidence (`key` = a, `other` = b,
#: `count`), a record (`key` carries it, `other` = record_id, `source` = the record's source),
#: activity (`other` = kind, target_type, target_id, day as JSON text; `count`, `amount`),
#: a consent signal (`other` = purpose and the signal's time as JSON text), an identifier the
#: batch created (`other` = ""). `at` is when the batch was ingested.
PROVENANCE_KINDS = ("link", "record", "activity", "consent", "identifier")


@dataclass(slots=True)
class ProvenanceRow:
    """Which ingest batch (and source) wrote which evidence, so that a batch or a source can
    be taken back exactly. Identified by (batch_id, kind, source, key, other): `pk`."""

    batch_id: str
    kind: str  # one of PROVENANCE_KINDS
    source: str
    key: IdentifierKey
    other: str
    count: int
    amount: float
    at: str

    @property
    def pk(self) -> str:
        return provenance_pk(self.batch_id, self.kind, self.source, self.key, self.other)


# What `json.dumps(..., ensure_ascii=False)` escapes in a string: nothing else changes.
_JSON_ESCAPED = re.compile(r'[\x00-\x1f\\"]')


def json_text_list(*items: str) -> str:
    """`json.dumps(list(items), ensure_ascii=False)`, exactly, without the encoder's cost
    when no item needs escaping: provenance identities are built several times per event,
    and this text is stored (Neo4j's pk, every store's `other`), so it must never drift."""
    joined = '", "'.join(items)
    if _JSON_ESCAPED.search(joined) is None:
        return f'["{joined}"]'
    return json.dumps(list(items), ensure_ascii=False)


def provenance_pk(batch_id: str, kind: str, source: str, key: str, other: str) -> str:
    """The identity of a provenance row as one text that sorts a batch's rows together (a
    JSON list: `batch_prefix(batch_id)` is the prefix of every row of that batch)."""
    return json_text_list(batch_id, kind, source, key, other)


def provenance_identity(pk: str) -> tuple[str, str, str, str, str]:
    """(batch_id, kind, source, key, other) of a `provenance_pk` text."""
    batch_id, kind, source, key, other = json.loads(pk)
    return str(batch_id), str(kind), str(source), str(key), str(other)


def batch_prefix(batch_id: str) -> str:
    return json.dumps([batch_id], ensure_ascii=False)[:-1] + ","


def activity_other(kind: str, target_type: str, target_id: str, day: str) -> str:
    """An activity row's identity besides its key, as a provenance row's `other`."""
    return json_text_list(kind, target_type, target_id, day)


def consent_other(purpose: str, at: str) -> str:
    """A consent signal's identity besides its key, as a provenance row's `other`."""
    return json_text_list(purpose, at)


@dataclass(slots=True)
class BatchInfo:
    """One ingest batch as its provenance tells it: when it was ingested (its first commit),
    which sources, what it wrote."""

    batch_id: str
    at: str
    sources: list[str]
    links: int  # pairs it gave evidence for
    link_evidence: int  # summed counts
    records: int
    activity: int  # summed counts
    amount: float
    consent: int
    identifiers: int  # identifiers it created


#: Hub states: flagged by the hub rule, confirmed (still a hub, sticky) or released (not a
#: hub; never flagged again) by a steward.
HUB_STATES = ("flagged", "confirmed", "released")


@dataclass(slots=True)
class HubStateRow:
    """A steward's decision on a hub identifier (a flagged hub without a row is `flagged`)."""

    key: IdentifierKey
    state: str  # confirmed | released
    reason: str
    at: str
    actor: str


@dataclass(slots=True)
class ChangeSet:
    """Everything one unit of work writes, as final rows.

    `apply` writes the fields in this order, which the core relies on (e.g. an identifier
    created for a new person needs the person; a merge moves identifiers before a split's
    assignments move some of them again; deletions come last, so a ChangeSet that writes
    and deletes the same row leaves it deleted):

    1. `message_ids`: (message ID, at), remembered if absent (replay protection).
    2. `persons`: new persons, created (an existing ID fails the unit of work).
    3. `merges`: each loser's `merged_into = winner`, `updated_at = at`; its identifiers move
       to the row's `target`.
    4. `new_identifiers`: created with their person (an existing key fails the unit of work).
    5. `seen_identifiers`: stored identifiers widen [first_seen, last_seen] to include the
       row's range; keys not stored are ignored.
    6. `assignments`: identifier key -> person ID, moving stored identifiers (splits).
    7. `links`: final rows, upserted by pair, every field replaced.
    8. `activity`: added to the stored totals of (key, kind, target_type, target_id, day):
       count and amount summed, first/last widened.
    9. `records`: upserted by (source, record_id) when at least as recent as the stored one.
    10. `consent`: upserted by (key, purpose) only when newer than the stored row:
       `row.at > stored.at`, or `row.at == stored.at` and the row denies what the stored
       one grants (on a tie, a denial wins); rows of one ChangeSet are folded by the same
       rule first (`newest_consent`), so their order does not matter. Keys not stored are
       ignored.
    11. `refused_merges`, `lineage`, `audit`: appended (newest last).
    12. `hubs`: flagged (`is_hub`, `hub_reason`); `joined`: replaced per key.
    13. `touched_persons`: `updated_at = at`.
    14. `reviews`: replaced whole by pair; `models`: replaced whole by version.
    15. `segments`: upserted by name, body and updated_at replaced (a stored one keeps its
        created_at); `destinations`: replaced whole by name; `api_keys`: replaced whole by
        name (a revocation is the row with `revoked_at` set).
    16. `ledger_seen`: upserted by (destination, digest): a new row is stored unsent
        (sent_gen NULL) with seen_gen = gen; a stored one gets seen_gen = gen, its row and
        person_id replaced, its sent_gen kept.
    17. `ledger_commits`: (destination, gen): that destination's rows with seen_gen = gen
        and sent_gen NULL get sent_gen = gen; its rows with seen_gen < gen are deleted (the
        destination's own `gen` is set through `destinations`).
    18. `delete_links`: these pairs' links removed.
    19. `delete_identifiers`: removed with their links, activity, records, consent and
        membership.
    20. `delete_persons`: removed with their lineage (their identifiers must be gone or
        moved already).
    21. `delete_segments`: removed by name; `delete_destinations`: removed by name with
        their ledger rows.
    22. `tombstones`: added if absent.
    23. `redact_audit`: identifier key -> replacement: every audit row whose index holds
        the key (rows appended by this ChangeSet included) has each mention of it in its
        subject and detail replaced (`audit.redact`), and its index rebuilt from the new
        detail; no index entry of the key is left (erasure).


    Erasure (`lifecycle.erase`) also uses (with `redact_audit`), after the above:

    24. `delete_reviews_of`: review-queue rows with an end among these keys removed (their
        evidence holds the two records' field values).
    25. `delete_refused_merges_of`: refused-merge rows with an end among these keys removed.
    26. `delete_unsent_ledger_of`: (destination, person ID): that destination's ledger
        rows of the person never sent (sent_gen NULL) removed. Sent ones stay: the next
        delta's `remove` side must tell the platform to forget them, and that delta's
        commit deletes them (field 17).
    27. `delete_message_prefixes`: remembered message IDs starting with one of these
        removed (a record's message ID is `{source}:{record_id}:{digest}`: erasure
        removes its records' ones, which name the record ID).
    28. `tombstone_salt`: replaces the deployment's tombstone salt (`StoreReader.
        tombstone_salt`). Only a copy between stores sets it, so that tombstones made
        under the source's salt keep matching in the target.
    Lifecycle fields, applied after 17 and before 18 (writes before deletions):
    17a. `provenance`: upserted by identity (`ProvenanceRow.pk`): count and amount added,
         `at` the earliest.
    17b. `hub_states`: replaced whole by key; `unflag_hubs`: `is_hub` false, `hub_reason`
         and `joined` cleared (Neo4j: the `:Hub` label removed).
    17c. `subtract_activity`: count and amount subtracted from the stored row of the same
         identity; a row left with a count of 0 or less is deleted; absent rows ignored.
    and after 19 (before 20):
    19a. `delete_records`: (source, record_id) removed; `delete_consent`: (key, purpose)
         removed; `delete_provenance`: rows removed by `pk`.

    `delete_identifiers` (19) also removes every provenance row naming the key (as `key`,
    or as a link's `other`) and its hub state: no key remains anywhere.
    """

    at: str = ""
    message_ids: list[tuple[str, str]] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    merges: list[MergeRow] = field(default_factory=list)
    new_identifiers: list[NewIdentifierRow] = field(default_factory=list)
    seen_identifiers: list[IdentifierRow] = field(default_factory=list)
    assignments: dict[IdentifierKey, PersonId] = field(default_factory=dict)
    links: list[LinkRow] = field(default_factory=list)
    activity: list[ActivityRow] = field(default_factory=list)
    records: list[RecordRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)
    refused_merges: list[RefusedMergeRow] = field(default_factory=list)
    lineage: list[LineageRow] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    hubs: list[HubRow] = field(default_factory=list)
    joined: dict[IdentifierKey, tuple[PersonId, ...]] = field(default_factory=dict)
    touched_persons: set[PersonId] = field(default_factory=set)
    reviews: list[ReviewRow] = field(default_factory=list)
    models: list[ModelRow] = field(default_factory=list)
    segments: list[SegmentRow] = field(default_factory=list)
    destinations: list[DestinationRow] = field(default_factory=list)
    api_keys: list[ApiKeyRow] = field(default_factory=list)
    ledger_seen: list[LedgerRow] = field(default_factory=list)
    ledger_commits: list[tuple[str, int]] = field(default_factory=list)
    delete_links: list[Pair] = field(default_factory=list)
    delete_identifiers: list[IdentifierKey] = field(default_factory=list)
    delete_persons: list[PersonId] = field(default_factory=list)
    delete_segments: list[str] = field(default_factory=list)
    delete_destinations: list[str] = field(default_factory=list)
    tombstones: list[TombstoneRow] = field(default_factory=list)
    delete_reviews_of: list[IdentifierKey] = field(default_factory=list)
    delete_refused_merges_of: list[IdentifierKey] = field(default_factory=list)
    delete_unsent_ledger_of: list[tuple[str, PersonId]] = field(default_factory=list)
    redact_audit: dict[IdentifierKey, str] = field(default_factory=dict)
    delete_message_prefixes: list[str] = field(default_factory=list)
    tombstone_salt: bytes | None = None
    provenance: list[ProvenanceRow] = field(default_factory=list)
    hub_states: list[HubStateRow] = field(default_factory=list)
    unflag_hubs: list[IdentifierKey] = field(default_factory=list)
    subtract_activity: list[ActivityRow] = field(default_factory=list)
    delete_records: list[tuple[str, str]] = field(default_factory=list)
    delete_consent: list[tuple[IdentifierKey, str]] = field(default_factory=list)
    delete_provenance: list[str] = field(default_factory=list)
