"""The demo empties its store only when that loses nothing but an earlier demo's output."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from identity_graph.cli import app
from identity_graph.devtools.demo import (
    StoreHoldsOtherData,
    is_demo_output,
    mark_demo_output,
    prepare_store,
    run_demo,
)
from identity_graph.service.identity import IdentityService
from tests.helpers import login

runner = CliRunner()


def test_prepare_store_recognises_empty_and_demo_output(service: IdentityService) -> None:
    assert prepare_store(service, fresh=True, reset=False)  # empty: nothing to lose
    service.ingest_events([login("u1", "c1")])
    assert not is_demo_output(service)
    with pytest.raises(StoreHoldsOtherData, match="2 identifiers"):
        prepare_store(service, fresh=True, reset=False)
    assert service.stats().identifiers == 2  # untouched
    assert not prepare_store(service, fresh=False, reset=False)  # adds on top, no mark
    assert service.stats().identifiers == 2

    mark_demo_output(service)
    assert is_demo_output(service)
    assert service.stats().identifiers == 2  # the mark is no identifier, link or person
    service.ingest_events([login("u2", "c2")])  # data added after the demo
    assert not is_demo_output(service)
    with pytest.raises(StoreHoldsOtherData):
        prepare_store(service, fresh=True, reset=False)

    assert prepare_store(service, fresh=True, reset=True)
    assert service.row_counts() == dict.fromkeys(service.row_counts(), 0)


def test_demo_reruns_on_its_own_output_on_every_store(
    service: IdentityService, tmp_path: Path
) -> None:
    quiet = Console(quiet=True)
    kwargs = dict(people=30, seed=5, n_events=150, data_dir=tmp_path / "d", console=quiet)
    first = run_demo(service, fresh=True, out=quiet, **kwargs)  # type: ignore[arg-type]
    again = run_demo(service, fresh=True, out=quiet, **kwargs)  # type: ignore[arg-type]
    assert (again.identifiers, again.links, again.persons) == (
        first.identifiers,
        first.links,
        first.persons,
    )
    assert is_demo_output(service)


def _demo(store_url: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    r = runner.invoke(
        app,
        [
            *("demo", "--people", "30", "--events", "150", "--store", store_url),
            *("--data-dir", str(tmp_path / "data"), "--no-match", *extra),
        ],
    )
    return r.exit_code, r.output


def test_demo_refuses_to_empty_a_store_with_other_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    assert _demo(url, tmp_path)[0] == 0
    assert _demo(url, tmp_path)[0] == 0  # its own earlier output: no flag needed
    events = tmp_path / "e.jsonl"
    events.write_text('{"type": "identify", "userId": "mine", "messageId": "x1"}\n')
    assert runner.invoke(app, ["ingest", str(events), "--store", url]).exit_code == 0

    code, output = _demo(url, tmp_path)
    assert code == 1
    assert "not an earlier demo run's" in output and "--reset" in output
    assert "mine" not in output and "Traceback" not in output
    stats = runner.invoke(app, ["stats", "--store", url]).output
    code, output = _demo(url, tmp_path, "--reset")
    assert code == 0, output
    assert runner.invoke(app, ["stats", "--store", url]).output != stats
