"""Neo4j store specifics: URL forms (no server needed), errors that name the query but never
its values, batched reset, and merge chains within one batch (on every store)."""

from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest

from identity_graph.errors import ConfigError, StoreError
from identity_graph.graph.commit import resolve_merges
from identity_graph.stores import open_store
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.neo4j import Neo4jStore, parse_url
from identity_graph.stores.rows import ChangeSet, LinkRow, NewIdentifierRow, Person, RecordRow
from tests.helpers import all_assignments, reads
from tests.neo4j_server import Neo4jTestServer, auth_from_env

AT = "2025-01-01T00:00:00.000000Z"


# -- URLs (no server) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "uri", "auth", "database", "display"),
    [
        ("neo4j://localhost:7687", "neo4j://localhost:7687", None, None, "neo4j://localhost:7687"),
        (
            "neo4j+s://db.example.com",
            "neo4j+s://db.example.com",
            None,
            None,
            "neo4j+s://db.example.com",
        ),
        ("neo4j+ssc://h:7688", "neo4j+ssc://h:7688", None, None, "neo4j+ssc://h:7688"),
        ("bolt://127.0.0.1:7687", "bolt://127.0.0.1:7687", None, None, "bolt://127.0.0.1:7687"),
        ("bolt+s://h:1", "bolt+s://h:1", None, None, "bolt+s://h:1"),
        ("BOLT+SSC://h:1", "bolt+ssc://h:1", None, None, "bolt+ssc://h:1"),
        (
            "neo4j://neo4j:s3cret@host:7687",
            "neo4j://host:7687",
            ("neo4j", "s3cret"),
            None,
            "neo4j://neo4j@host:7687",
        ),
        (
            "neo4j://u%40corp:s3cret%2Fw%3Ad@host:7687/graph",
            "neo4j://host:7687",
            ("u@corp", "s3cret/w:d"),
            "graph",
            "neo4j://u%40corp@host:7687/graph",
        ),
        ("bolt://host:7687/mydb", "bolt://host:7687", None, "mydb", "bolt://host:7687/mydb"),
        ("neo4j://[::1]:7687", "neo4j://[::1]:7687", None, None, "neo4j://[::1]:7687"),
        (
            "neo4j://h:7687?policy=eu",
            "neo4j://h:7687?policy=eu",
            None,
            None,
            "neo4j://h:7687?policy=eu",
        ),
    ],
)
def test_url_forms(
    url: str, uri: str, auth: tuple[str, str] | None, database: str | None, display: str
) -> None:
    target = parse_url(url)
    assert (target.uri, target.auth, target.database, target.display) == (
        uri,
        auth,
        database,
        display,
    )
    assert "s3cret" not in target.display


def test_credentials_in_the_url_take_precedence() -> None:
    assert parse_url("neo4j://a:b@h", auth=("x", "y")).auth == ("a", "b")
    assert parse_url("neo4j://h", auth=("x", "y")).auth == ("x", "y")
    # a user in the URL, the password from the environment (NEO4J_PASSWORD)
    assert parse_url("neo4j://reader@h", auth=("neo4j", "pw")).auth == ("reader", "pw")
    with pytest.raises(ConfigError, match="no password"):
        parse_url("neo4j://reader@h")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h:7474", "not a Neo4j URL scheme"),
        ("neo4j://", "needs a host"),
        ("neo4j://h:notaport", "malformed"),
        ("neo4j://h/a/b", "database name"),
        ("neo4j://h#x", "fragment"),
    ],
)
def test_bad_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_url(url)


def test_database_in_url_and_settings_must_agree() -> None:
    assert parse_url("neo4j://h/a", database="a").database == "a"
    assert parse_url("neo4j://h", database="b").database == "b"
    with pytest.raises(ConfigError, match="names database"):
        parse_url("neo4j://h/a", database="b")


def test_open_store_routes_neo4j_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    # No server: skip connecting; the driver itself connects lazily.
    monkeypatch.setattr(Neo4jStore, "_connect", lambda self: None)
    monkeypatch.setattr(Neo4jStore, "_init_schema", lambda self: None)
    for scheme in ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"):
        store = open_store(f"{scheme}://u:pw@host:7687/graph", neo4j_auth=("x", "y"))
        assert isinstance(store, Neo4jStore)
        assert store.url == f"{scheme}://u@host:7687/graph"
        assert store._database == "graph"
        store.close()


def test_unsupported_url_never_shows_a_password() -> None:
    with pytest.raises(ConfigError, match="unsupported store URL") as info:
        open_store("postgres://user:hunter2@db/x")
    assert "hunter2" not in str(info.value)


# -- on every store ----------------------------------------------------------------------


def _ident(key: str, person: str) -> NewIdentifierRow:
    type_, _, value = key.partition(":")
    return NewIdentifierRow(key, type_, value, AT, AT, person)


def test_merge_chain_in_one_batch(store: GraphStore) -> None:
    with store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                persons=[Person(p, AT, AT) for p in ("p1", "p2", "p3")],
                new_identifiers=[_ident(f"cookie:{c}", f"p{n}") for n, c in enumerate("abc", 1)],
                at=AT,
            )
        )
    later = "2025-02-01T00:00:00.000000Z"
    with store.unit_of_work() as tx:
        tx.apply(ChangeSet(merges=resolve_merges([("p1", "p2"), ("p2", "p3")]), at=later))
    assert all_assignments(store) == {
        "cookie:a": "p3",
        "cookie:b": "p3",
        "cookie:c": "p3",
    }
    persons = reads(store).persons(["p1", "p2"])
    assert persons["p1"].merged_into == "p2" and persons["p1"].updated_at == later
    assert persons["p2"].merged_into == "p3"


# -- Neo4j only --------------------------------------------------------------------------


@pytest.fixture
def neo4j_store(neo4j_uri: str) -> Iterator[Neo4jStore]:
    s = Neo4jStore(neo4j_uri, auth=auth_from_env())
    s.reset()
    try:
        yield s
    finally:
        s.close()


@pytest.mark.neo4j
def test_a_failing_query_names_itself_but_never_its_values(neo4j_store: Neo4jStore) -> None:
    person = Person("person-4711-anna@example.com", AT, AT)
    with neo4j_store.unit_of_work() as tx:
        tx.apply(ChangeSet(persons=[person], at=AT))
    with pytest.raises(StoreError) as info, neo4j_store.unit_of_work() as tx:
        tx.apply(ChangeSet(persons=[person], at=AT))  # person IDs are unique
    text = str(info.value)
    assert "'add_persons'" in text and "ConstraintValidationFailed" in text
    assert "anna@example.com" not in text and "4711" not in text
    assert info.value.query is not None and "UNWIND $rows AS row" in info.value.query


@pytest.mark.neo4j
def test_unknown_database_is_a_config_error(neo4j_uri: str) -> None:
    with pytest.raises(ConfigError, match="no such database"):
        Neo4jStore(f"{neo4j_uri}/nosuchdb", auth=auth_from_env())


@pytest.mark.neo4j
def test_unreachable_server_fails_fast_and_clearly() -> None:
    with pytest.raises(StoreError, match=r"cannot reach Neo4j at bolt://127\.0\.0\.1:1"):
        open_store("bolt://127.0.0.1:1")


@pytest.mark.neo4j
def test_reset_deletes_in_batches_and_keeps_the_schema(neo4j_store: Neo4jStore) -> None:
    n = 12_000  # more than one inner transaction of reset.cypher
    with neo4j_store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                persons=[Person("p", AT, AT)],
                new_identifiers=[_ident(f"cookie:{i}", "p") for i in range(n)],
                links=[
                    LinkRow(
                        f"cookie:{i}",
                        f"cookie:{i + 1}",
                        1.0,
                        "deterministic",
                        ["t"],
                        "{}",
                        1,
                        AT,
                        AT,
                    )
                    for i in range(0, n - 1, 2)
                ],
                message_ids=[(f"m{i}", AT) for i in range(n)],
                at=AT,
            )
        )
    assert reads(neo4j_store).stats().identifiers == n
    neo4j_store.reset()
    s = reads(neo4j_store).stats()
    assert (s.identifiers, s.links, s.persons) == (0, 0, 0)
    with neo4j_store.unit_of_work() as tx:
        assert tx.seen_messages(["m1"]) == set()
    # the schema and the marker survive: reopening finds a valid identity graph
    again = Neo4jStore(neo4j_store._where, auth=auth_from_env())
    again.close()


@pytest.mark.neo4j
def test_records_carry_each_attribute_as_a_property(
    neo4j_store: Neo4jStore, neo4j_uri: str
) -> None:
    def write(attributes: str, at: str) -> None:
        with neo4j_store.unit_of_work() as tx:
            tx.apply(ChangeSet(records=[RecordRow("crm", "C1", "crm_id:C1", attributes, at)]))

    def attr_properties() -> dict[str, object]:
        (row,) = driver.execute_query("MATCH (r:Record) RETURN properties(r) AS p").records
        return {k: v for k, v in row["p"].items() if k.startswith("attr_")}

    with neo4j_store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(persons=[Person("p", AT, AT)], new_identifiers=[_ident("crm_id:C1", "p")])
        )
    auth = auth_from_env()
    with neo4j.GraphDatabase.driver(
        neo4j_uri, auth=neo4j.basic_auth(*auth) if auth is not None else None
    ) as driver:
        write('{"given_name": "Anna", "surname": "Smith"}', LATER)
        write('{"given_name": "Old"}', AT)  # older: ignored
        assert attr_properties() == {"attr_given_name": "Anna", "attr_surname": "Smith"}
        write('{"given_name": "Anne", "suburb": "Ely"}', LATER)  # every attr_* replaced
        assert attr_properties() == {"attr_given_name": "Anne", "attr_suburb": "Ely"}
        # Cypher reads an attribute by name, without parsing the JSON text.
        found = driver.execute_query(
            "MATCH (r:Record) WHERE r['attr_' + $name] = $value RETURN r.record_id AS id",
            name="suburb",
            value="Ely",
        )
        assert [row["id"] for row in found.records] == ["C1"]
    (rec,) = reads(neo4j_store).records(["crm_id:C1"])
    assert rec.attributes == {"given_name": "Anne", "suburb": "Ely"}


LATER = "2025-02-01T00:00:00.000000Z"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[str]:
    """A second throw-away Neo4j, with authentication on (user neo4j, password 'neo4j',
    which must be changed before use)."""
    server = Neo4jTestServer(
        extra_args=["--watch-stdin", "--no-http", "--config", "dbms.security.auth_enabled=true"]
    )
    try:
        uri = server.start()
    except RuntimeError as exc:
        pytest.fail(f"Neo4j with authentication could not be started:\n{exc}", pytrace=False)
    try:
        yield uri
    finally:
        server.stop()


@pytest.mark.neo4j
def test_credentials_are_checked_and_never_shown(auth_server: str) -> None:
    host = auth_server.removeprefix("bolt://")
    with pytest.raises(ConfigError, match="refused the credentials") as info:
        open_store(f"bolt://neo4j:wrong-pass@{host}")
    assert "wrong-pass" not in str(info.value)
    with pytest.raises(ConfigError, match="must be changed"):
        open_store(f"bolt://{host}", neo4j_auth=("neo4j", "neo4j"))
    with neo4j.GraphDatabase.driver(auth_server, auth=("neo4j", "neo4j")) as d:
        d.execute_query(
            "ALTER CURRENT USER SET PASSWORD FROM 'neo4j' TO 'fresh-pass'", database_="system"
        )
    # URL credentials win over neo4j_auth; a URL with only a user takes neo4j_auth's password
    store = open_store(f"bolt://neo4j:fresh-pass@{host}", neo4j_auth=("neo4j", "wrong"))
    assert store.url == f"bolt://neo4j@{host}" and reads(store).stats().identifiers == 0
    store.close()
    store = open_store(f"bolt://neo4j@{host}", neo4j_auth=("ignored", "fresh-pass"))
    store.close()


def test_runtime_reads_neo4j_credentials_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from identity_graph.cli.runtime import Neo4jCredentials

    monkeypatch.delenv("NEO4J_USER", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    assert Neo4jCredentials().auth() is None  # a server with authentication off
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    assert Neo4jCredentials().auth() == ("neo4j", "pw")
    monkeypatch.setenv("NEO4J_USER", "ingest")
    assert Neo4jCredentials().auth() == ("ingest", "pw")
    assert "pw" not in repr(Neo4jCredentials())
