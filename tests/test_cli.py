from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from identity_graph.cli import app
from tests.helpers import event, login, reads

runner = CliRunner()


def jsonl(path: Path, items: list[object]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_ingest_events_and_records_then_stats(tmp_path: Path, store_url: str) -> None:
    events = jsonl(
        tmp_path / "e.jsonl", [login("u1", "c1", email="a@x.org"), event("page", anonymousId="c2")]
    )
    r = runner.invoke(app, ["ingest", str(events), "--store", store_url])
    assert r.exit_code == 0, r.output
    assert "persons created" in r.output
    crm = tmp_path / "crm.csv"
    crm.write_text("crm_id,email,first_name\nC1,a@x.org,Ann\n", encoding="utf-8")
    r = runner.invoke(app, ["ingest", str(crm), "--source", "crm", "--store", store_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["stats", "--store", store_url])
    assert r.exit_code == 0
    assert "identifiers" in r.output and "4" in r.output


def test_store_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTITY_GRAPH_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    events = jsonl(tmp_path / "e.jsonl", [login("u1", "c1")])
    assert runner.invoke(app, ["ingest", str(events)]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_bad_lines_stop_the_batch_with_line_numbers(tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        json.dumps(login("u1", "c1"))
        + "\n{broken json\n"
        + json.dumps(event("identify", userId="u2", email="x@"))
        + "\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["ingest", str(path), "--store", store_url])
    assert r.exit_code == 1
    assert f"{path}:2: $: not valid JSON" in r.output
    assert f"{path}:3: traits.email" in r.output
    assert "nothing of it was written" in r.output
    from identity_graph.stores import open_store

    store = open_store(store_url)
    assert reads(store).stats().identifiers == 0
    store.close()


def test_skip_invalid_reports_and_continues(tmp_path: Path, store_url: str) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps(login("u1", "c1")) + "\n{broken\n", encoding="utf-8")
    r = runner.invoke(app, ["ingest", str(path), "--store", store_url, "--skip-invalid"])
    assert r.exit_code == 0, r.output
    assert "skipped 1 problem" in r.output and f"{path}:2" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.jsonl"], "no such file"),
        (["ingest", "{csv}"], "--source"),
        (["ingest", "{jsonl}", "--store", "postgres://x"], "unsupported store URL"),
        (["ingest", "{jsonl}", "--store", "sqlite:///no/such/dir/x.db"], "does not exist"),
        (["ingest", "{jsonl}", "--config", "{badconfig}"], "merge_threshold"),
    ],
)
def test_clear_errors(tmp_path: Path, store_url: str, args: list[str], message: str) -> None:
    files = {
        "csv": tmp_path / "r.csv",
        "jsonl": jsonl(tmp_path / "e.jsonl", [login("u1", "c1")]),
        "badconfig": tmp_path / "bad.toml",
    }
    files["csv"].write_text("crm_id\nC1\n")
    files["badconfig"].write_text("merge_threshold = 2.0\n")
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    if "--store" not in argv:
        argv += ["--store", store_url]
    r = runner.invoke(app, argv)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output


def test_help_lists_the_commands() -> None:
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    for command in ("ingest", "serve", "demo", "stats", "migrate"):
        assert command in r.output


def test_demo_end_to_end_at_small_size(tmp_path: Path, store_url: str) -> None:
    r = runner.invoke(
        app,
        [
            "demo",
            "--people",
            "300",
            "--seed",
            "7",
            "--store",
            store_url,
            "--data-dir",
            str(tmp_path / "data"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "pairwise precision" in r.output and "pairwise recall" in r.output
    assert "identity-graph serve --store" in r.output
    for name in ("events.jsonl", "crm.csv", "loyalty.csv", "truth.csv"):
        assert (tmp_path / "data" / name).exists()


def test_demo_result_is_accurate(tmp_path: Path) -> None:
    from rich.console import Console

    from identity_graph.config import Settings
    from identity_graph.devtools.demo import run_demo
    from identity_graph.service.identity import IdentityService
    from identity_graph.stores.sqlite import SQLiteStore

    store = SQLiteStore(f"sqlite:///{tmp_path / 'd.db'}")
    quiet = Console(file=open(tmp_path / "out.txt", "w"))  # noqa: SIM115 - closed with the test dir
    result = run_demo(
        IdentityService(store, Settings()),
        people=500,
        seed=3,
        n_events=None,
        data_dir=tmp_path / "data",
        fresh=True,
        console=quiet,
        out=quiet,
    )
    store.close()
    assert result.score.precision > 0.98
    assert result.score.recall > 0.8
    assert result.true_hubs_flagged >= 1
    assert result.persons >= 500
