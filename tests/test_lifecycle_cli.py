"""The lifecycle commands: batch IDs printed by ingest, `batches`, `remove`, `merge`,
`split`, `hubs list|confirm|release` (the use cases behind them: tests/test_lifecycle.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from identity_graph.cli import app
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import event, login, reads

runner = CliRunner()
BY = ["--by", "eva", "--reason", "bad import"]


def jsonl(path: Path, items: list[object]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def run(*args: str) -> Any:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r


def person_of(url: str, key: str) -> str:
    store = SQLiteStore(url)
    try:
        return str(reads(store).identifiers([key])[key].person_id)
    finally:
        store.close()


def test_ingest_prints_its_batch_id_and_remove_takes_the_batch_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    good = jsonl(tmp_path / "good.jsonl", [login("u1", "c1")])
    bad = jsonl(tmp_path / "bad.jsonl", [event("page", anonymousId="c9", userId="u1")])
    out = run("ingest", str(good), "--store", url).output
    assert "batch ID" in out and "b_" in out
    run("ingest", str(bad), "--store", url, "--batch-id", "import-7")
    listed = json.loads(run("batches", "--store", url, "--json").output)
    assert len(listed) == 2 and "import-7" in {b["batch_id"] for b in listed}
    assert [
        b["batch_id"]
        for b in json.loads(
            run("batches", "--store", url, "--json", "--source", "segment:page").output
        )
    ] == ["import-7"]
    result = json.loads(run("remove", "--batch", "import-7", *BY, "--store", url, "--json").output)
    assert result["removed"]["links_deleted"] == 1 and result["removed"]["identifiers_deleted"] == 1
    text = run("remove", "--identifier", "cookie:c1", *BY, "--store", url).output
    assert "identifiers deleted" in text
    r = runner.invoke(app, ["remove", "--batch", "import-7", *BY, "--store", url])
    assert r.exit_code == 1 and "batch: no ingest batch" in r.output
    r = runner.invoke(app, ["remove", "--batch", "x", "--source", "y", *BY, "--store", url])
    assert r.exit_code == 1 and "exactly one" in r.output
    r = runner.invoke(
        app, ["remove", "--batch", "x", "--by", "eva", "--reason", " ", "--store", url]
    )
    assert r.exit_code == 1 and "--reason" in r.output


def test_link_removal_merge_split_and_hubs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    customers = [f"u{i}" for i in range(6)]
    events = [login(u, f"own-{u}", email=f"{u}@mail.example") for u in customers]
    run("ingest", str(jsonl(tmp_path / "a.jsonl", events)), "--store", url)
    run(
        "ingest",
        str(jsonl(tmp_path / "b.jsonl", [login(u, "desk") for u in customers])),
        "--store",
        url,
    )
    p0, p1 = person_of(url, "customer_id:u0"), person_of(url, "customer_id:u1")
    merged = json.loads(run("merge", p0, p1, *BY, "--store", url, "--json").output)
    assert merged["lineage"][0]["kind"] == "MERGED_INTO"
    split = json.loads(
        run(
            "split",
            merged["person_id"],
            "--group",
            "customer_id:u0,cookie:own-u0,email:u0@mail.example",
            "--group",
            "customer_id:u1,cookie:own-u1,email:u1@mail.example",
            *BY,
            "--store",
            url,
            "--json",
        ).output
    )
    assert split["cannot_links"] == 1
    assert person_of(url, "customer_id:u0") != person_of(url, "customer_id:u1")
    # Still one person: cookie and customer ID are both linked to the email.
    text = run("remove", "--link", "cookie:own-u1", "customer_id:u1", *BY, "--store", url).output
    assert "1 kept, 0 split off" in text
    hubs = json.loads(run("hubs", "list", "--store", url, "--json").output)
    assert [h["key"] for h in hubs] == ["cookie:desk"]
    assert "confirmed" in run("hubs", "confirm", "cookie:desk", *BY, "--store", url).output
    assert "released" in run("hubs", "release", "cookie:desk", *BY, "--store", url).output
    assert json.loads(run("hubs", "list", "--store", url, "--json").output) == []
    r = runner.invoke(
        app,
        [
            "split",
            p0,
            "--group",
            "email:nobody@x.io",
            "--group",
            "customer_id:u0",
            *BY,
            "--store",
            url,
        ],
    )
    assert r.exit_code == 1 and "groups[0][0]" in r.output and "nobody" not in r.output
