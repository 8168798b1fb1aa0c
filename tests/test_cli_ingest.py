"""`identity-graph ingest` over the ingest use case: notices, matching summary, errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from identity_graph.cli import app
from identity_graph.devtools import synthetic
from identity_graph.stores.sqlite import SQLiteStore

runner = CliRunner()


def test_records_are_matched_on_ingest_once_a_model_exists(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    paths = synthetic.write_dataset(synthetic.make_population(people=400, seed=11), tmp_path)
    lines = paths.crm.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = len(lines) * 9 // 10
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("".join(lines[:cut]), encoding="utf-8")
    second.write_text(lines[0] + "".join(lines[cut:]), encoding="utf-8")

    r = runner.invoke(app, ["ingest", str(first), "--source", "crm", "--store", url])
    assert r.exit_code == 0, r.output
    assert "no match model in this store yet" in r.output
    assert "probabilistic matching (model" not in r.output
    r = runner.invoke(app, ["ingest", str(paths.loyalty), "--source", "loyalty", "--store", url])
    assert runner.invoke(app, ["match", "--store", url]).exit_code == 0

    r = runner.invoke(app, ["ingest", str(second), "--source", "crm", "--store", url])
    assert r.exit_code == 0, r.output
    assert "no match model" not in r.output
    assert "probabilistic matching (model" in r.output and "linked" in r.output


def test_a_bad_second_file_names_itself_and_keeps_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text('{"type": "identify", "userId": "u1", "messageId": "m1"}\n')
    bad.write_text('{"type": "identify", "userId": "u2", "messageId": "m2"}\n{oops\n')
    r = runner.invoke(app, ["ingest", str(good), str(bad), "--store", url])
    assert r.exit_code == 1
    assert f"{bad}:2: $: not valid JSON" in r.output and "input: batch of lines 1-2" in r.output
    stats = runner.invoke(app, ["stats", "--store", url]).output
    assert "identifiers" in stats and "│ 1 " in stats
    r = runner.invoke(app, ["ingest", str(good), str(tmp_path / "nope.jsonl"), "--store", url])
    assert r.exit_code == 1 and "nope.jsonl: no such file" in r.output


def test_invalid_fields_drop_keeps_the_record_and_reports_the_field(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "crm_id,email,phone,first_name\nC1,a@x.org,+1 650 555 1212,Ann\nC2,not-an-email,,Bo\n",
        encoding="utf-8",
    )
    rejected = runner.invoke(app, ["ingest", str(crm), "--source", "crm", "--store", url])
    assert rejected.exit_code == 1 and "email" in rejected.output
    r = runner.invoke(
        app, ["ingest", str(crm), "--source", "crm", "--invalid-fields", "drop", "--store", url]
    )
    assert r.exit_code == 0, r.output
    assert "dropped 1 invalid field(s)" in r.output and ":3: email:" in r.output
    assert "not-an-email" not in r.output  # the value is personal data: never echoed
    store = SQLiteStore(url)
    try:
        with store.reader() as reader:
            assert reader.identifiers(["crm_id:C2"])  # the record is kept, without its email
            assert not reader.identifiers(["email:not-an-email"])
    finally:
        store.close()
    bad = runner.invoke(app, ["ingest", str(crm), "--invalid-fields", "drop", "--store", url])
    assert bad.exit_code == 1 and "--source" in bad.output
