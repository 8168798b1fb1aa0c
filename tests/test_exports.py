"""The export pipeline below the segment layer: files written whole, split at the platform's
batch size, and the destination ledger making deltas exact (both stores)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from identity_graph.errors import ConflictError, NotFoundError
from identity_graph.exports import ledger
from identity_graph.exports.files import CsvParts, part_path, remove_path
from identity_graph.exports.platforms import ExportPerson, get_platform
from identity_graph.exports.run import export_files
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import ChangeSet, DestinationRow

META = get_platform("meta")


def people(*emails: tuple[str, str]) -> Iterator[ExportPerson]:
    for person_id, email in emails:
        yield ExportPerson(person_id=person_id, identifiers=[("email", email)], attributes={})


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def add_destination(store: GraphStore, name: str = "meta-main") -> None:
    row = DestinationRow(name, "meta", "viewers", "2025-01-01T00:00:00.000Z", 0, None, None, None)
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(at=row.created_at, destinations=[row]))


def run(
    store: GraphStore, out: Path, *persons: tuple[str, str], delta: bool = True
) -> dict[str, object]:
    outcome = export_files(
        store,
        META,
        people(*persons),
        segment="viewers",
        persons=len(persons),
        output=out,
        destination="meta-main",
        delta=delta,
    )
    return outcome.model_dump()


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    with pytest.raises(RuntimeError), CsvParts(out, ["h"], batch_size=10) as w:
        w.write(("x",))
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_split_cuts_parts_at_the_batch_size(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    with CsvParts(out, ["h"], batch_size=2, split=True) as w:
        w.write_all([("1",), ("2",), ("3",)])
    assert w.files == [part_path(out, 1), part_path(out, 2)]
    assert rows(part_path(out, 1)) == [["h"], ["1"], ["2"]]
    assert rows(part_path(out, 2)) == [["h"], ["3"]]
    with CsvParts(tmp_path / "empty.csv", ["h"], batch_size=2, split=True) as empty:
        pass
    assert [rows(f) for f in empty.files] == [[["h"]]]


def test_deltas_are_exact_across_changes(store: GraphStore, tmp_path: Path) -> None:
    add_destination(store)
    first = run(store, tmp_path / "1.csv", ("p1", "a@x.org"), ("p2", "b@x.org"))
    assert first["generation"] == 1 and first["rows"] == 2 and first["removed"] == 0
    assert len(rows(tmp_path / "1.csv")) == 3 and rows(remove_path(tmp_path / "1.csv")) == [
        list(META.columns)
    ]
    same = run(store, tmp_path / "2.csv", ("p1", "a@x.org"), ("p2", "b@x.org"))
    assert (same["rows"], same["removed"]) == (0, 0)
    # p2 leaves (say, withdrew consent); p1's email changes; p3 arrives.
    third = run(store, tmp_path / "3.csv", ("p1", "a2@x.org"), ("p3", "c@x.org"))
    assert (third["rows"], third["removed"]) == (2, 2)
    email = META.columns.index("EMAIL")
    added = {r[email] for r in rows(tmp_path / "3.csv")[1:]}
    removed = {r[email] for r in rows(remove_path(tmp_path / "3.csv"))[1:]}
    assert added == {sha("a2@x.org"), sha("c@x.org")}
    assert removed == {sha("a@x.org"), sha("b@x.org")}
    with store.reader() as r:
        assert r.ledger_size("meta-main") == 2


def test_an_abandoned_export_changes_nothing_sent(store: GraphStore, tmp_path: Path) -> None:
    add_destination(store)
    run(store, tmp_path / "1.csv", ("p1", "a@x.org"), ("p2", "b@x.org"))

    def failing() -> Iterator[ExportPerson]:
        yield from people(("p1", "a@x.org"), ("p2", "b@x.org"))
        raise OSError("the store went away")

    with pytest.raises(OSError):
        export_files(
            store,
            META,
            failing(),
            segment="viewers",
            persons=2,
            output=tmp_path / "x.csv",
            destination="meta-main",
            delta=True,
        )
    assert not (tmp_path / "x.csv").exists()
    # The retry sees p2 gone: its row must be removed although the failed run saw it.
    retry = run(store, tmp_path / "2.csv", ("p1", "a@x.org"))
    assert (retry["rows"], retry["removed"]) == (0, 1)
    assert retry["generation"] == 3  # generation 2 was staged, then abandoned: never reused


def test_one_export_per_destination_at_a_time(store: GraphStore, tmp_path: Path) -> None:
    add_destination(store)
    _, gen, lease = ledger.acquire(store, "meta-main")
    with pytest.raises(ConflictError):
        run(store, tmp_path / "1.csv", ("p1", "a@x.org"))
    ledger.release(store, "meta-main", lease)
    assert run(store, tmp_path / "1.csv", ("p1", "a@x.org"))["generation"] == gen + 1
    with pytest.raises(ConflictError):
        ledger.commit(store, "meta-main", gen, lease)  # released: cannot commit any more


def test_a_destination_receives_one_segment_on_one_platform(
    store: GraphStore, tmp_path: Path
) -> None:
    add_destination(store)
    with pytest.raises(ConflictError, match="viewers"):
        export_files(
            store,
            get_platform("google"),
            people(),
            segment="viewers",
            persons=0,
            output=tmp_path / "g.csv",
            destination="meta-main",
        )
    with pytest.raises(NotFoundError):
        export_files(
            store,
            META,
            people(),
            segment="viewers",
            persons=0,
            output=tmp_path / "g.csv",
            destination="nope",
        )
