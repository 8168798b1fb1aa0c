"""Process settings from the environment: the SQLite writer's cache, and how an invalid
variable is reported (a named variable and the reason, no traceback, no value)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from identity_graph.cli import app as cli_app
from identity_graph.cli.runtime import build_service
from identity_graph.errors import ConfigError
from identity_graph.stores.sqlite import SQLiteStore

# A value no message may repeat: a variable's value can be a secret.
ODD = "s3cr3t-not-a-number"


def writer_cache_kib(store: object) -> int:
    assert isinstance(store, SQLiteStore)
    (size,) = store._writer.execute("PRAGMA cache_size").fetchone()
    return -int(size)


def test_the_writer_cache_is_512_mib_unless_the_environment_says_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDENTITY_GRAPH_SQLITE_CACHE_MIB", raising=False)
    service = build_service(f"sqlite:///{tmp_path / 'a.db'}", None)
    try:
        assert writer_cache_kib(service.store) == 512 * 1024
    finally:
        service.close()
    monkeypatch.setenv("IDENTITY_GRAPH_SQLITE_CACHE_MIB", "2048")
    service = build_service(f"sqlite:///{tmp_path / 'b.db'}", None)
    try:
        assert writer_cache_kib(service.store) == 2048 * 1024
    finally:
        service.close()


@pytest.mark.parametrize("mib", [0, -1, True, 1.5])
def test_a_writer_cache_that_is_not_a_positive_whole_number_is_refused(
    tmp_path: Path, mib: object
) -> None:
    with pytest.raises(ConfigError, match="whole number of MiB"):
        SQLiteStore(f"sqlite:///{tmp_path / 'c.db'}", cache_mib=mib)  # type: ignore[arg-type]
    assert not (tmp_path / "c.db").exists()  # refused before the file was created


@pytest.mark.parametrize(
    ("variable", "reason"),
    [
        ("IDENTITY_GRAPH_SQLITE_CACHE_MIB", "valid integer"),
        ("IDENTITY_GRAPH_WRITE_WAIT_SECONDS", "valid number"),
        ("IDENTITY_GRAPH_SHUTDOWN_GRACE_SECONDS", "valid integer"),
    ],
)
@pytest.mark.parametrize("command", ["stats", "serve", "ingest"])
def test_an_invalid_variable_exits_1_naming_it_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, reason: str, command: str
) -> None:
    monkeypatch.setenv(variable, ODD)
    store = f"sqlite:///{tmp_path / 'g.db'}"
    args = [command, "--store", store]
    if command == "ingest":
        events = tmp_path / "events.jsonl"
        events.write_text("", encoding="utf-8")
        args.insert(1, str(events))
    r = CliRunner().invoke(cli_app, args)
    assert r.exit_code == 1, r.output
    assert f"invalid environment variable: {variable}: input should be a {reason}" in r.output
    assert ODD not in r.output and "Traceback" not in r.output
    assert not (tmp_path / "g.db").exists()  # nothing opened, nothing written


def test_a_cache_below_one_mib_is_named_with_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_GRAPH_SQLITE_CACHE_MIB", "0")
    r = CliRunner().invoke(cli_app, ["stats", "--store", f"sqlite:///{tmp_path / 'h.db'}"])
    assert r.exit_code == 1
    assert "IDENTITY_GRAPH_SQLITE_CACHE_MIB: input should be greater than or equal to 1" in r.output


def test_a_bad_variable_is_named_with_its_own_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from identity_graph.cli.runtime import Neo4jCredentials, from_environment

    class Strict(Neo4jCredentials):
        retries: int = 0  # a typed field, so that a bad value has a reason to fail

    monkeypatch.setenv("NEO4J_RETRIES", ODD)
    with pytest.raises(ConfigError) as caught:
        from_environment(Strict)
    assert str(caught.value).startswith("invalid environment variable: NEO4J_RETRIES: input")
    assert ODD not in str(caught.value)
