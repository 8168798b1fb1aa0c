"""Proves the Neo4j test harness: a real Neo4j 5.26 answers over Bolt, enforces uniqueness
constraints, and rolls back failed write transactions.

Runs against ``NEO4J_URI`` when set (e.g. a docker compose Neo4j), else against the
server that ``scripts/neo4j-test-server`` starts once per session. Every test writes under
its own random label and cleans up, so it is safe against a shared database.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator

import pytest
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import ConstraintError

from tests.neo4j_server import Neo4jTestServer, auth_from_env, neo4j_uri  # noqa: F401


@pytest.fixture(scope="module")
def driver(neo4j_uri: str) -> Iterator[Driver]:  # noqa: F811  (the fixture imported above)
    with GraphDatabase.driver(neo4j_uri, auth=auth_from_env()) as drv:
        drv.verify_connectivity()
        yield drv


@pytest.fixture
def label(driver: Driver) -> Iterator[str]:
    """A label no other test or run uses; its nodes and constraints are removed after."""
    name = f"HarnessProbe_{uuid.uuid4().hex[:12]}"
    yield name
    driver.execute_query(f"MATCH (n:`{name}`) DETACH DELETE n")
    records, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes WHERE $label IN labelsOrTypes RETURN name",
        label=name,
    )
    for record in records:
        driver.execute_query(f"DROP CONSTRAINT `{record['name']}` IF EXISTS")


def _count(driver: Driver, label: str) -> int:
    records, _, _ = driver.execute_query(f"MATCH (n:`{label}`) RETURN count(n) AS c")
    return int(records[0]["c"])


@pytest.mark.neo4j
def test_return_1(driver: Driver) -> None:
    records, _, _ = driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1


@pytest.mark.neo4j
def test_server_is_neo4j_5_26(driver: Driver) -> None:
    info = driver.get_server_info()
    assert info.agent.startswith("Neo4j/5.26"), info.agent
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions RETURN name, versions[0] AS version"
    )
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["version"].startswith("5.26"), records[0]["version"]


@pytest.mark.neo4j
def test_uniqueness_constraint_rejects_duplicate(driver: Driver, label: str) -> None:
    driver.execute_query(
        f"CREATE CONSTRAINT `{label}_key` FOR (n:`{label}`) REQUIRE n.key IS UNIQUE"
    )
    driver.execute_query(f"CREATE (:`{label}` {{key: 'a'}})")
    with pytest.raises(ConstraintError) as excinfo:
        driver.execute_query(f"CREATE (:`{label}` {{key: 'a'}})")
    assert excinfo.value.code == "Neo.ClientError.Schema.ConstraintValidationFailed"
    assert _count(driver, label) == 1
    # MERGE on the key is the idempotent write the store relies on.
    driver.execute_query(f"MERGE (:`{label}` {{key: 'a'}})")
    assert _count(driver, label) == 1


class _Boom(Exception):
    pass


@pytest.mark.neo4j
def test_failed_transaction_leaves_nothing_behind(driver: Driver, label: str) -> None:
    # Client-side failure after writes: the managed transaction is rolled back.
    def write_then_fail(tx: ManagedTransaction) -> None:
        tx.run(f"UNWIND range(1, 10) AS i CREATE (:`{label}` {{key: i}})").consume()
        raise _Boom

    with driver.session() as session, pytest.raises(_Boom):
        session.execute_write(write_then_fail)
    assert _count(driver, label) == 0

    # Server-side failure: the constraint violation in the 2nd statement undoes the 1st.
    driver.execute_query(
        f"CREATE CONSTRAINT `{label}_key` FOR (n:`{label}`) REQUIRE n.key IS UNIQUE"
    )
    driver.execute_query(f"CREATE (:`{label}` {{key: 'taken'}})")

    def write_then_violate(tx: ManagedTransaction) -> None:
        tx.run(f"CREATE (:`{label}` {{key: 'fresh'}})").consume()
        tx.run(f"CREATE (:`{label}` {{key: 'taken'}})").consume()

    with driver.session() as session, pytest.raises(ConstraintError):
        session.execute_write(write_then_violate)
    records, _, _ = driver.execute_query(f"MATCH (n:`{label}`) RETURN n.key AS key ORDER BY key")
    assert [r["key"] for r in records] == ["taken"]


# The error paths of Neo4jTestServer need no Neo4j (nor Java): a fake server command.


def test_server_start_reports_early_exit() -> None:
    server = Neo4jTestServer(
        command=[
            sys.executable,
            "-c",
            "import sys; print('boom: no java', file=sys.stderr); sys.exit(3)",
        ]
    )
    with pytest.raises(RuntimeError) as excinfo:
        server.start(timeout=30)
    message = str(excinfo.value)
    assert "exited with status 3" in message
    assert "boom: no java" in message
    assert not server.running


def test_server_start_times_out() -> None:
    code = "import sys, time; print('still resolving', file=sys.stderr, flush=True); time.sleep(60)"
    server = Neo4jTestServer(command=[sys.executable, "-c", code])
    with pytest.raises(RuntimeError) as excinfo:
        server.start(timeout=1)
    assert "not ready within 1 s" in str(excinfo.value)
    assert "still resolving" in str(excinfo.value)
    assert not server.running


def test_server_start_returns_bolt_line() -> None:
    code = (
        "import sys; print('noise'); print('http://127.0.0.1:1'); print('bolt://127.0.0.1:2',"
        " flush=True); sys.stdin.read()"
    )
    with Neo4jTestServer(command=[sys.executable, "-c", code]) as server:
        assert server.bolt_uri == "bolt://127.0.0.1:2"
        assert server.http_uri == "http://127.0.0.1:1"
        assert server.running
    assert not server.running
