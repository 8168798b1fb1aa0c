"""Erasure on every store: everything of the person goes, tombstones stay, and a replay of
their evidence is dropped and counted, never stitched back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from identity_graph.audit import redact as redact_audit_text
from identity_graph.config import Settings
from identity_graph.errors import InvalidValue, NotFoundError
from identity_graph.ids import IdentifierKey
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.lifecycle.erase import redacted
from identity_graph.review.decisions import pair_id
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import EXPORT_KINDS, GraphStore
from identity_graph.stores.migrate import MigrationError, migrate
from identity_graph.stores.rows import ChangeSet, HubRow, TombstoneRow, tombstone_digest
from identity_graph.stores.sqlite import SQLiteStore
from tests.erasure_data import (
    ANNA_COOKIE,
    ANNA_CRM,
    ANNA_EMAIL,
    ANNA_FAMILY,
    ANNA_GIVEN,
    ANNA_OLD_COOKIE,
    ANNA_USER,
    BOB_EMAIL,
    found_in,
    seed,
)
from tests.helpers import event, login, person_of, reads


def _rows(store: GraphStore) -> dict[str, list[str]]:
    """Every stored row of every kind, as JSON text."""
    with store.reader() as r:
        return {k: [json.dumps(row, default=str) for row in r.scan(k)] for k in EXPORT_KINDS}


def _digests(store: GraphStore, keys: list[str]) -> list[str]:
    salt = reads(store).tombstone_salt()
    return [tombstone_digest(salt, IdentifierKey(k)) for k in keys]


def test_erasure_removes_everything_of_the_person(service: IdentityService, tmp_path: Path) -> None:
    s = seed(service, tmp_path)
    assert s.anna_old != s.anna and len(s.anna_keys) >= 6
    bob = service.person(s.bob)
    assert found_in(json.dumps(_rows(service.store)))  # the scan sees her before

    report = service.erasure.erase([s.anna_old], by="steward:eva", reason="GDPR Art. 17")

    (erased,) = report.erased
    assert erased.person_id == s.anna and erased.merged_ids == [s.anna_old]
    assert erased.identifiers == len(s.anna_keys) and erased.records == 1
    assert erased.activity == 1 and erased.consent >= 1 and erased.links >= 5
    assert erased.tombstones == len(s.anna_keys) and report.files_purged
    rows = _rows(service.store)
    for kind, texts in rows.items():
        for text in texts:
            assert not found_in(text), f"{kind} still holds a value of the erased person"
            assert not [k for k in s.anna_keys if k in text], f"{kind} still holds a key"
    for pid in (s.anna, s.anna_old):
        with pytest.raises(NotFoundError):
            service.person(pid)
        assert not [t for k in ("persons", "lineage") for t in rows[k] if pid in t]
    # Bob, who shared a refused merge and a review pair with her, keeps his profile.
    assert service.person(s.bob) == bob
    # A tombstone per erased identifier: a salted hash, never the key.
    digests = _digests(service.store, s.anna_keys)
    assert reads(service.store).tombstones(digests) == set(digests)
    # The ledger keeps only the row the platform holds (hashed cells): the next delta's
    # `remove` side tells it to forget her; the staged, never sent row is gone.
    ledger = [json.loads(t) for t in rows["ledger"]]
    assert sorted((r["person_id"], r["sent_gen"]) for r in ledger) == sorted(
        [(s.anna, 1), (s.bob, 1)]
    )
    # The audit trail: her erasure names no key; the steward's decision about her record
    # keeps its place with the key replaced by a tombstone reference.
    audit = service.audit()
    erase_row = next(a for a in audit if a.action == "person.erase")
    assert erase_row.subject == f"person:{s.anna}" and erase_row.actor == "steward:eva"
    assert erase_row.detail["reason"] == "GDPR Art. 17"
    assert erase_row.detail["identifiers"] == [] and erase_row.detail["tombstones"]
    assert set(erase_row.detail["persons"]) == {s.anna, s.anna_old}
    decision = next(a for a in audit if a.action == "review.reject")
    crm_ref = redacted(_digests(service.store, [f"crm_id:{ANNA_CRM}"])[0])
    assert decision.subject.startswith(crm_ref) or decision.subject.endswith(crm_ref)
    assert decision.detail["comment"] == f"not {crm_ref}"


def test_a_replay_is_dropped_counted_and_never_stitches(
    service: IdentityService, tmp_path: Path
) -> None:
    s = seed(service, tmp_path)
    service.erasure.erase([s.anna], by="steward:eva", reason="asked")
    again = service.ingest_events(
        [
            login(ANNA_USER, ANNA_COOKIE, email=ANNA_EMAIL),  # a replay, new message ID
            login("u-new", "ck-new", email=ANNA_EMAIL.upper()),  # new evidence carrying her
            event("page", anonymousId=ANNA_OLD_COOKIE),
            login("u-bob-1", "ck-bob-2"),  # Bob's new cookie: kept
        ]
    )
    assert again.erased_dropped == 3 and again.items == 4
    assert not reads(service.store).identifiers([*s.anna_keys, "customer_id:u-new"])
    assert person_of(service, "cookie:ck-bob-2") == s.bob
    # Records too: her CRM row is dropped, Bob's is ingested.
    crm = tmp_path / "crm.csv"
    mapping = RecordMapping.infer(csv_header(crm), "crm", service.normalizer.types)
    report = service.ingest_stream(read_items(crm), service.record_parser(mapping))
    assert report.summary.erased_dropped == 1
    assert not reads(service.store).identifiers([f"crm_id:{ANNA_CRM}"])
    assert reads(service.store).identifiers([f"email:{BOB_EMAIL}"])
    assert not found_in(json.dumps(_rows(service.store)))


def test_targets_by_identifier_unknown_and_already_erased(
    service: IdentityService, tmp_path: Path
) -> None:
    s = seed(service, tmp_path)
    targets = [f"email: {ANNA_EMAIL.upper()} ", "email:nobody@example.com", "no-such-person"]
    report = service.erasure.erase(targets, by="cli:ops", reason="asked")
    assert [e.person_id for e in report.erased] == [s.anna]
    assert report.not_found == [1, 2] and report.already_erased == []
    again = service.erasure.erase([*targets, s.anna], by="cli:ops", reason="asked")
    assert again.erased == [] and again.already_erased == [0] and again.not_found == [1, 2, 3]
    with pytest.raises(NotFoundError):
        service.erasure.erase_person(s.anna, by="x", reason="y")
    with pytest.raises(InvalidValue, match="target 0"):
        service.erasure.erase(["email:not an email"], by="x", reason="y")


def test_many_persons_in_chunks(service: IdentityService) -> None:
    service.ingest_events([login(f"u{i}", f"c{i}", email=f"p{i}@example.com") for i in range(25)])
    service.ingest_events([login("keep", "keep-c")])
    targets = [f"customer_id:u{i}" for i in range(25)]
    report = service.erasure.erase(targets, by="x", reason="bulk", chunk=4)
    assert len(report.erased) == 25 and sum(e.identifiers for e in report.erased) == 75
    assert reads(service.store).stats().identifiers == 2
    assert len(reads(service.store).tombstones(_digests(service.store, targets))) == 25


def test_hub_identifier_is_deleted_but_not_tombstoned(service: IdentityService) -> None:
    """A shared identifier (a call-centre cookie) goes with the person, but its tombstone
    would drop every other person's events carrying it: it gets none."""
    service.ingest_events([login("anna", "shared", email="anna@example.com")])
    pid = person_of(service, "cookie:shared")
    with service.store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at="2025-01-01T00:00:00Z", hubs=[HubRow(IdentifierKey("cookie:shared"), "test")]
            )
        )
    (erased,) = service.erasure.erase([pid], by="x", reason="y").erased
    assert erased.identifiers == 3 and erased.tombstones == 2
    kept = service.ingest_events([login("bob", "shared")])
    assert kept.erased_dropped == 0 and reads(service.store).identifiers(["cookie:shared"])


def test_the_salt_is_per_deployment_and_kept(tmp_path: Path) -> None:
    a = SQLiteStore(f"sqlite:///{tmp_path / 'a.db'}")
    b = SQLiteStore(f"sqlite:///{tmp_path / 'b.db'}")
    salt = reads(a).tombstone_salt()
    assert len(salt) == 32 and salt != reads(b).tombstone_salt()
    a.reset()
    a.close()
    reopened = SQLiteStore(f"sqlite:///{tmp_path / 'a.db'}")
    assert reads(reopened).tombstone_salt() == salt
    for s in (reopened, b):
        s.close()


def test_migrate_keeps_tombstones_matching(store: GraphStore, tmp_path: Path) -> None:
    """A copy carries the salt (tombstones cannot be re-hashed: their keys are gone), so a
    replay into the copy is dropped too."""
    source = IdentityService(SQLiteStore(f"sqlite:///{tmp_path / 'src.db'}"), Settings())
    s = seed(source, tmp_path)
    source.erasure.erase([s.anna], by="x", reason="y")
    migrate(source.store, store)
    target = IdentityService(store, Settings())
    assert reads(store).tombstone_salt() == reads(source.store).tombstone_salt()
    dropped = target.ingest_events([login(ANNA_USER, "ck-anything")])
    assert dropped.erased_dropped == 1 and not reads(store).identifiers(s.anna_keys)
    migrate(source.store, store)  # a re-run: same salt, nothing refused
    source.close()


def test_migrate_refuses_a_target_with_tombstones_of_another_salt(
    store: GraphStore, tmp_path: Path
) -> None:
    source = SQLiteStore(f"sqlite:///{tmp_path / 'src.db'}")
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(tombstones=[TombstoneRow("ab" * 32, "2025-01-01T00:00:00Z")]))
    with pytest.raises(MigrationError, match="another salt"):
        migrate(source, store)
    source.close()


def test_redaction_finds_every_mention_of_a_key() -> None:
    key = "name:josé o'hara"
    erased = {key: "erased:0123"}

    def redact(subject: str, detail: object = None) -> tuple[str, object]:
        s, d = redact_audit_text(subject, json.dumps(detail), erased)
        return s, json.loads(d)

    assert redact(key, {"k": [key]}) == ("erased:0123", {"k": ["erased:0123"]})
    assert redact("x", {key: 1}) == ("x", {"erased:0123": 1})
    assert redact("x", {"reason": f"merged {key} by hand"})[1] == {
        "reason": "merged erased:0123 by hand"
    }
    assert redact(pair_id(key, "crm_id:C2"))[0] == "crm_id:C2 <-> erased:0123"
    assert redact(pair_id("crm_id:C1", "crm_id:C2"))[0] == pair_id("crm_id:C1", "crm_id:C2")
    # A key that is a prefix of another never cuts the longer one.
    both = {"cookie:a": "X", "cookie:ab": "Y"}
    assert redact_audit_text("cookie:ab cookie:a", "{}", both)[0] == "Y X"
    assert redact_audit_text("cookie:abc and cookie:a.", "{}", {"cookie:a": "X"})[0] == (
        "cookie:abc and cookie:a."
    )


def test_names_stay_out_of_errors(service: IdentityService) -> None:
    with pytest.raises(InvalidValue) as exc:
        service.erasure.erase([f"phone:{ANNA_GIVEN}{ANNA_FAMILY}"], by="x", reason="y")
    assert not found_in(str(exc.value))
