"""`identity-graph serve` hands its settings to the app without touching os.environ."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import identity_graph.api.main as api_main
import identity_graph.cli.serve as serve_module
from identity_graph.cli import app
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDENTITY_GRAPH_STORE", "IDENTITY_GRAPH_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_one_worker_gets_the_settings_as_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    config = tmp_path / "s.toml"
    config.write_text("hub_limit = 5\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'served.db'}"
    before = dict(os.environ)
    r = runner.invoke(app, ["serve", "--store", url, "--config", str(config), "--port", "8123"])
    assert r.exit_code == 0, r.output
    assert dict(os.environ) == before
    ((factory, kw),) = calls
    assert kw["factory"] is True and kw["port"] == 8123
    # uvicorn's access log (raw paths) stays off; our request lines (route templates) are on.
    assert kw["access_log"] is False
    assert kw["log_config"]["loggers"]["identity_graph.requests"]["level"] == "INFO"
    made: Callable[[], FastAPI] = factory
    store = SQLiteStore(url)
    key = issue_key(store, "reader")
    store.close()
    # A served app freezes its heap once built; not this test process's, for good.
    frozen: list[bool] = []
    monkeypatch.setattr(api_main, "freeze_long_lived", lambda: frozen.append(True))
    with TestClient(made(), headers=bearer(key)) as client:
        assert client.get("/v1/stats").status_code == 200
        assert client.app.state.service.settings.hub_limit == 5  # type: ignore[attr-defined]
    assert frozen == [True]
    assert (tmp_path / "served.db").exists()


def test_several_workers_get_them_in_the_new_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(serve_module, "exec_process", lambda argv, env: calls.append((argv, env)))
    url = f"sqlite:///{tmp_path / 'served.db'}"
    before = dict(os.environ)
    r = runner.invoke(
        app, ["serve", "--store", url, "--workers", "3", "--no-access-log", "--log-format", "text"]
    )
    assert r.exit_code == 0, r.output
    assert dict(os.environ) == before
    ((argv, env),) = calls
    assert env["IDENTITY_GRAPH_STORE"] == url and "IDENTITY_GRAPH_CONFIG" not in env
    # The workers module runs uvicorn's command line with the metrics directory and logging.
    assert argv[1:3] == ["-m", serve_module.WORKERS_MODULE]
    ours, uvicorn_args = argv[3 : argv.index("--")], argv[argv.index("--") + 1 :]
    assert ours == ["--log-format", "text", "--no-access-log"]
    assert uvicorn_args[:2] == ["--factory", serve_module.APP_FACTORY]
    assert uvicorn_args[uvicorn_args.index("--workers") + 1] == "3"
    assert "--no-access-log" in uvicorn_args


def test_each_worker_app_freezes_its_heap_once_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What uvicorn imports in each of several workers (APP_FACTORY) reads the store from
    the environment and freezes the heap after its lifespan built the service."""
    url = f"sqlite:///{tmp_path / 'served.db'}"
    monkeypatch.setenv("IDENTITY_GRAPH_STORE", url)
    module, _, name = serve_module.APP_FACTORY.partition(":")
    assert module == api_main.__name__ and name == "served_app"
    frozen: list[bool] = []
    monkeypatch.setattr(api_main, "freeze_long_lived", lambda: frozen.append(True))
    app_ = api_main.served_app()
    assert frozen == []
    with TestClient(app_) as client:
        assert frozen == [True]
        assert client.app.state.service.store_url == url  # type: ignore[attr-defined]


def test_a_bad_store_fails_before_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("must not serve"))
    r = runner.invoke(app, ["serve", "--store", "postgres://u:secret@x/db"])
    assert r.exit_code == 1 and "unsupported store URL" in r.output
    assert "secret" not in r.output
