"""The one ingest use case (identity_graph.service.ingest) behind ingest, demo and resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from identity_graph.devtools import synthetic
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import Ingest, IngestObserver, StreamRejected
from tests.helpers import login


class Recorder(IngestObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def started(self, name: str, total: int) -> None:
        self.calls.append(("started", name, total))

    def advanced(self, items: int, done: int) -> None:
        self.calls.append(("advanced", items, done))

    def finished(self) -> None:
        self.calls.append(("finished",))

    def matching_unavailable(self) -> None:
        self.calls.append(("no model",))


def test_files_of_events_and_records_add_up(tmp_path: Path, service: IdentityService) -> None:
    events = tmp_path / "e.jsonl"
    events.write_text(
        "".join(json.dumps(login(f"u{i}", f"c{i}")) + "\n" for i in range(5)), encoding="utf-8"
    )
    crm = tmp_path / "crm.csv"
    crm.write_text("crm_id,email\nC1,a@x.org\nC2,b@x.org\n", encoding="utf-8")
    seen = Recorder()
    run = Ingest(service, batch_size=2, observer=seen)
    assert run.file(events).batches == 3
    assert run.file(crm, source="crm").summary.records == 2
    assert run.total.summary.items == 7 and run.total.batches == 4
    assert run.matching is None  # no model in the store
    assert seen.calls[0] == ("started", "e.jsonl", events.stat().st_size)
    assert seen.calls[3] == ("advanced", 5, events.stat().st_size)
    assert seen.calls[4] == ("finished",)
    assert seen.calls[5] == ("no model",)  # once, at the first records
    assert seen.calls[6] == ("started", "crm.csv", 2) and seen.calls[-1] == ("finished",)
    assert service.stats().identifiers == 14


def test_a_rejected_batch_still_finishes_the_observer(
    tmp_path: Path, service: IdentityService
) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(login("u1", "c1")) + "\n{broken\n", encoding="utf-8")
    seen = Recorder()
    with pytest.raises(StreamRejected) as info:
        Ingest(service, observer=seen).file(path)
    assert (info.value.first_position, info.value.last_position) == (1, 2)
    assert seen.calls[-1] == ("finished",)
    assert service.stats().identifiers == 0


def test_new_records_are_matched_once_a_model_exists(
    tmp_path: Path, service: IdentityService
) -> None:
    pop = synthetic.make_population(people=400, seed=11)
    paths = synthetic.write_dataset(pop, tmp_path / "data")
    lines = paths.crm.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = len(lines) * 9 // 10
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("".join(lines[:cut]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[cut:]), encoding="utf-8")
    before = Ingest(service)
    before.file(first, source="crm")
    before.file(paths.loyalty, source="loyalty")
    assert before.matching is None
    service.match(retrain=True)

    run = Ingest(service)
    run.file(second, source="crm")
    assert run.matching is not None
    assert run.matching.summary.pairs_scored > 0 and run.matching.summary.linked > 0
    off = Ingest(service, match_new_records=False)
    off.file(second, source="crm")
    assert off.matching is None and off.total.summary.replayed == off.total.summary.items
