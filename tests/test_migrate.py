"""`identity-graph migrate`: a whole graph copied between stores, verified, re-runnable."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from identity_graph.cli import app
from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.ids import IdentifierKey
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.review.decisions import pair_id
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import EXPORT_KINDS, GraphStore
from identity_graph.stores.migrate import MigrationError, migrate
from identity_graph.stores.rows import (
    ChangeSet,
    ConsentRow,
    DestinationRow,
    HubStateRow,
    LedgerRow,
    SegmentRow,
    TombstoneRow,
    tombstone_digest,
)
from identity_graph.stores.sqlite import SQLiteStore
from identity_graph.views import Person
from tests.helpers import all_assignments, reads
from tests.neo4j_server import auth_from_env

AT = "2026-01-02T00:00:00.000000Z"
PEOPLE = 400
SEED = 11  # leaves two pairs in the review band: one decided here, one on Neo4j


def _ingest(service: IdentityService, path: Path, parser: object) -> None:
    service.ingest_stream(read_items(path), parser, batch_size=500)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def source_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite graph with every kind of row: events, CRM and loyalty records, a trained
    model, a review queue with one decided pair (so audit has a row), refusals, lineage."""
    directory = tmp_path_factory.mktemp("migrate-source")
    pop = synthetic.make_population(people=PEOPLE, seed=SEED)
    paths = synthetic.write_dataset(pop, directory / "data")
    db = directory / "source.db"
    store = SQLiteStore(f"sqlite:///{db}")
    settings = Settings()
    service = IdentityService(store, settings)
    _ingest(service, paths.events, service.event_parser())
    for source, path in (("crm", paths.crm), ("loyalty", paths.loyalty)):
        mapping = RecordMapping.infer(csv_header(path), source, service.normalizer.types)
        _ingest(service, path, service.record_parser(mapping))
    service.match(retrain=True)
    pending = reads(store).reviews("pending", limit=1)
    assert pending, "the synthetic population should leave pairs for review"
    service.decide(pair_id(pending[0].a, pending[0].b), "approve", "steward:test", "same")
    # API keys, one of them revoked: a copy keeps them working (and refused) as they were.
    service.keys.create("ops", "admin", by="test")
    service.keys.create("ads", "exporter", segments=["vip"], destinations=["ads"], by="test")
    service.keys.revoke("ops", by="test")
    # No use case erases yet; a tombstone written directly must survive a copy all the same.
    # Nor do the synthetic events carry consent: signals written directly, a grant and a denial.
    # Segments, destinations and the export ledger (one row sent, one seen only) likewise.
    keys = sorted(all_assignments(store))[:2]
    ledger = [
        LedgerRow("ads", "d1", '["a@x.io"]', "p1", 1),
        LedgerRow("ads", "d2", '["b@x.io"]', "p2", 1),
    ]
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                segments=[SegmentRow("vip", '{"bought": {}}', AT, AT)],
                destinations=[DestinationRow("ads", "meta", "vip", AT, 1, AT, "worker", AT)],
                ledger_seen=ledger,
                ledger_commits=[("ads", 1)],
            )
        )
        tx.apply(ChangeSet(ledger_seen=[LedgerRow("ads", "d3", '["c@x.io"]', "p3", 2)]))
    with store.unit_of_work() as tx:
        digest = tombstone_digest(b"test salt", IdentifierKey("email:erased@example.com"))
        tx.apply(
            ChangeSet(
                tombstones=[TombstoneRow(digest, "2026-01-01T00:00:00Z")],
                # A steward's hub decision (the provenance comes from the ingest above).
                hub_states=[HubStateRow(keys[0], "confirmed", "shared desk", AT, "steward:x")],
                consent=[
                    ConsentRow(keys[0], "ad_personalization", True, "crm", "2026-01-01T00:00:00Z"),
                    ConsentRow(keys[1], "ad_personalization", False, "segment:identify", AT),
                ],
            )
        )
    store.close()
    return db


def _copy(db: Path, tmp_path: Path) -> SQLiteStore:
    """A private copy of the source (tests must not change the module's source)."""
    path = tmp_path / "source.db"
    shutil.copyfile(db, path)
    return SQLiteStore(f"sqlite:///{path}")


def _every_kind_present(counts: dict[str, int]) -> None:
    assert set(counts) == set(EXPORT_KINDS)
    empty = [kind for kind, n in counts.items() if n == 0]
    assert empty == [], f"the synthetic source should have rows of every kind: {empty}"


def _sample_keys(store: GraphStore, n: int = 40) -> list[str]:
    keys = sorted(all_assignments(store))
    return random.Random(1).sample(keys, min(n, len(keys)))


def _profile(service: IdentityService, key: str) -> dict[str, object]:
    type_, _, value = key.partition(":")
    person: Person = service.person_by_identifier(type_, value)
    data = person.model_dump(mode="json")
    # Ties in observed_at may be listed in a different order by each store.
    data["records"] = sorted(data["records"], key=lambda r: json.dumps(r, sort_keys=True))
    return data


def _assert_same_graph(a: GraphStore, b: GraphStore) -> None:
    ra, rb = reads(a), reads(b)
    assert ra.row_counts() == rb.row_counts()
    assert ra.stats() == rb.stats()
    settings = Settings()
    sa, sb = IdentityService(a, settings), IdentityService(b, settings)
    for key in _sample_keys(a):
        assert _profile(sa, key) == _profile(sb, key), key
    # Every kind's rows are equal, not just their number (order aside).
    for kind in EXPORT_KINDS:
        rows_a = sorted(json.dumps(r, sort_keys=True) for r in ra.scan(kind))
        rows_b = sorted(json.dumps(r, sort_keys=True) for r in rb.scan(kind))
        assert rows_a == rows_b, kind
    assert ra.audit() == rb.audit()
    assert ra.refused_merges() == rb.refused_merges()
    assert ra.latest_model() == rb.latest_model()
    assert ra.segments() == rb.segments() and ra.destinations() == rb.destinations()
    assert ra.ledger_size("ads") == rb.ledger_size("ads")
    assert ra.reviews(None, 1000) == rb.reviews(None, 1000)


def _replay_is_recognised(service: IdentityService, source_db: Path) -> None:
    """An event that was ingested before the move is still a replay after it."""
    first = next(iter(read_items(source_db.parent / "data" / "events.jsonl")))[1]
    before = reads(service.store).row_counts()
    summary = service.ingest_events([first])
    assert summary.replayed == 1
    assert reads(service.store).row_counts() == before


def _assert_type_labels(uri: str) -> None:
    """Copied identifiers carry their type label (Neo4j Browser), as ingested ones do."""
    import neo4j

    auth = auth_from_env()
    with neo4j.GraphDatabase.driver(
        uri, auth=neo4j.basic_auth(*auth) if auth is not None else None
    ) as driver:
        records = driver.execute_query(
            "MATCH (i:Identifier) WHERE i.type IN ['email', 'cookie'] "
            "RETURN count(i) AS n, count(CASE WHEN i:Email OR i:Cookie THEN 1 END) AS labelled"
        ).records
    assert records[0]["n"] > 0
    assert records[0]["labelled"] == records[0]["n"]


@pytest.fixture
def neo4j_store(neo4j_uri: str) -> Iterator[GraphStore]:
    from identity_graph.stores.neo4j import Neo4jStore

    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    store.reset()
    try:
        yield store
    finally:
        store.close()


def test_sqlite_to_sqlite_copies_everything_and_reruns_change_nothing(
    source_db: Path, tmp_path: Path
) -> None:
    src = _copy(source_db, tmp_path)
    dst = SQLiteStore(f"sqlite:///{tmp_path / 'target.db'}")
    _every_kind_present(reads(src).row_counts())
    seen: dict[str, int] = {}
    report = migrate(
        src, dst, batch_size=97, on_progress=lambda kind, done, total: seen.__setitem__(kind, done)
    )
    assert report.differences() == {}
    assert report.copied == report.source_counts == report.target_counts
    assert seen == report.source_counts
    assert report.batches >= sum(-(-n // 97) for n in report.source_counts.values())
    _assert_same_graph(src, dst)

    again = migrate(src, dst, batch_size=1000)
    assert again.target_counts == report.target_counts
    _assert_same_graph(src, dst)
    _replay_is_recognised(IdentityService(dst, Settings()), source_db)
    src.close()
    dst.close()


def test_count_mismatch_fails_loudly_naming_the_kinds(source_db: Path, tmp_path: Path) -> None:
    src = _copy(source_db, tmp_path)
    dst = SQLiteStore(f"sqlite:///{tmp_path / 'target.db'}")
    with dst.unit_of_work() as tx:  # a row the source does not have
        tx.import_rows("messages", [{"message_id": "not-in-source", "at": "2025-01-01"}])
    with pytest.raises(MigrationError) as info:
        migrate(src, dst)
    assert set(info.value.differences) == {"messages"}
    assert "messages" in str(info.value)
    src.close()
    dst.close()


def test_cli_migrate_sqlite_to_sqlite(source_db: Path, tmp_path: Path) -> None:
    src = _copy(source_db, tmp_path)
    src.close()
    runner = CliRunner()
    args = ["migrate", "--from", src.url, "--to", f"sqlite:///{tmp_path / 'target.db'}"]
    for _ in range(2):  # the second run is an idempotent no-op
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "counts match on both sides" in result.output
    # Extra rows in the target: non-zero exit naming the kind.
    extra = SQLiteStore(f"sqlite:///{tmp_path / 'target.db'}")
    with extra.unit_of_work() as tx:
        tx.import_rows("models", [{"version": "extra", "created_at": "2020", "body": "{}"}])
    extra.close()
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "models" in result.output


@pytest.mark.neo4j
def test_sqlite_to_neo4j_and_back(
    source_db: Path, tmp_path: Path, neo4j_store: GraphStore, neo4j_uri: str
) -> None:
    src = _copy(source_db, tmp_path)
    counts = reads(src).row_counts()
    _every_kind_present(counts)

    report = migrate(src, neo4j_store, batch_size=500)
    assert report.target_counts == counts
    _assert_same_graph(src, neo4j_store)
    _assert_type_labels(neo4j_uri)

    again = migrate(src, neo4j_store, batch_size=500)  # re-run: nothing changes
    assert again.target_counts == counts
    _assert_same_graph(src, neo4j_store)

    # The other direction, generic over the protocol.
    back = SQLiteStore(f"sqlite:///{tmp_path / 'back.db'}")
    migrate(neo4j_store, back, batch_size=500)
    _assert_same_graph(neo4j_store, back)
    back.close()

    service = IdentityService(neo4j_store, Settings())
    _replay_is_recognised(service, source_db)
    # New audit rows on Neo4j sort after the copied ones.
    pending = reads(neo4j_store).reviews("pending", limit=1)
    assert pending
    service.decide(pair_id(pending[0].a, pending[0].b), "reject", "steward:neo", None)
    assert reads(neo4j_store).audit(limit=1)[0].actor == "steward:neo"
    src.close()


@pytest.mark.neo4j
def test_cli_migrate_to_neo4j(source_db: Path, tmp_path: Path, neo4j_store: GraphStore) -> None:
    src = _copy(source_db, tmp_path)
    src.close()
    result = CliRunner().invoke(
        app, ["migrate", "--from", src.url, "--to", neo4j_store.url, "--batch-size", "300"]
    )
    assert result.exit_code == 0, result.output
    assert "counts match on both sides" in result.output
    again = SQLiteStore(src.url)
    assert reads(again).row_counts() == reads(neo4j_store).row_counts()
    again.close()


def test_a_target_holding_another_graph_is_refused_before_writing(
    source_db: Path, tmp_path: Path
) -> None:
    src = _copy(source_db, tmp_path)
    dst = SQLiteStore(f"sqlite:///{tmp_path / 'other.db'}")
    IdentityService(dst, Settings()).ingest_events(
        [{"type": "page", "anonymousId": "someone-else", "messageId": "x1"}]
    )
    before = reads(dst).row_counts()
    with pytest.raises(MigrationError, match="identifiers the source does not have"):
        migrate(src, dst)
    assert reads(dst).row_counts() == before
    src.close()
    dst.close()
