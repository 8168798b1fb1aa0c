"""What stewards open in Neo4j Browser: identifier type labels, saved queries, the guide (served
by the API with CORS) and the style file.

The saved queries and every runnable block of the guide run against a real Neo4j 5.26 holding
a small synthetic population, ingested and matched through the service as in the demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from identity_graph.api import create_app
from identity_graph.cli.progress import ingest_file
from identity_graph.config import BUILTIN_TYPES, Settings
from identity_graph.devtools import synthetic
from identity_graph.errors import StoreError
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.service.identity import IdentityService
from identity_graph.stores.neo4j import Neo4jStore, type_label
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key, login
from tests.neo4j_server import auth_from_env

BROWSER = resources.files("identity_graph.cypher").joinpath("browser")
BUILTIN_LABELS = {
    "email": "Email",
    "phone": "Phone",
    "cookie": "Cookie",
    "device_id": "DeviceId",
    "loyalty_id": "LoyaltyId",
    "crm_id": "CrmId",
    "customer_id": "CustomerId",
    "hashed_email": "HashedEmail",
}
# Saved queries that must find something in the demo data (the others may legitimately not).
MUST_FIND = {
    "person_by_identifier",
    "person_identifiers_and_links",
    "why_linked",
    "hubs",
    "refused_merges",
    "lineage",
    "pending_reviews",
    "probabilistic_links",
    "identifier_types",
}
PARAM_LINE = re.compile(r":param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*(.+)", re.DOTALL)


def saved_queries() -> dict[str, str]:
    folder = BROWSER.joinpath("saved")
    return {
        entry.name.removesuffix(".cypher"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".cypher")
    }


class _Runnable(HTMLParser):
    """Text of each `<pre class="... runnable">` (entities decoded, as the Browser copies it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "pre" and "runnable" in classes:
            self._depth, self._text = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._depth:
            self._depth = 0
            self.blocks.append("".join(self._text).strip())

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def guide_blocks() -> list[str]:
    parser = _Runnable()
    parser.feed(BROWSER.joinpath("guide.html").read_text(encoding="utf-8"))
    return parser.blocks


# -- type labels -----------------------------------------------------------------------


def test_type_labels_are_pascal_case_of_checked_type_names() -> None:
    assert {t: type_label(t) for t in BUILTIN_TYPES} == BUILTIN_LABELS
    assert type_label("foo_bar") == "FooBar"
    for bad in ("", "Email", "e-mail", "1st", "a b", "x`) DETACH DELETE (n", "person", "review"):
        with pytest.raises(StoreError):
            type_label(bad)


def _labels(uri: str) -> list[tuple[str, list[str]]]:
    with neo4j.GraphDatabase.driver(uri, auth=auth_from_env()) as driver:
        rows, _, _ = driver.execute_query(
            "MATCH (i:Identifier) RETURN i.type AS type, labels(i) AS labels ORDER BY i.key"
        )
    return [(r["type"], r["labels"]) for r in rows]


@pytest.mark.neo4j
def test_identifiers_carry_their_type_label_after_ingest(neo4j_uri: str, tmp_path: Path) -> None:
    settings = Settings(identifier_types={**Settings().identifier_types, "foo_bar": "trim"})
    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    try:
        store.reset()
        service = IdentityService(store, settings)
        service.ingest_events(
            [login("u1", "c1", email="Anna@Example.com", phone="+1 415 555 0100", device="d-1")]
        )
        crm = tmp_path / "crm.csv"
        crm.write_text(
            "crm_id,loyalty_id,foo_bar,email\nC1,L1,fb-1,anna@example.com\n", encoding="utf-8"
        )
        mapping = RecordMapping.infer(csv_header(crm), "crm", service.normalizer.types)
        service.ingest_stream(read_items(crm), service.record_parser(mapping))
        got = _labels(neo4j_uri)
    finally:
        store.close()
    types = {t for t, _ in got}
    assert {"email", "phone", "cookie", "device_id", "customer_id", "crm_id"} <= types
    assert {"loyalty_id", "foo_bar"} <= types
    for type_, labels in got:
        assert sorted(labels) == sorted(["Identifier", type_label(type_)]), (type_, labels)
    assert ("foo_bar", ["FooBar", "Identifier"]) in [(t, sorted(ls)) for t, ls in got]


# -- saved queries and guide against demo data -----------------------------------------


@pytest.fixture(scope="module")
def demo(neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityService]:
    """500 synthetic people ingested (events, CRM, loyalty) and matched, as in the demo.
    Seed 3 gives hubs, refused merges, merges, splits and a pending review (the matcher
    is decisive enough that 300 people of any seed leave the review band empty)."""
    store = Neo4jStore(neo4j_uri, auth=auth_from_env())
    store.reset()
    service = IdentityService(store, Settings())
    pop = synthetic.make_population(people=500, seed=3)
    paths = synthetic.write_dataset(pop, tmp_path_factory.mktemp("browser-demo"))
    console = Console(quiet=True)
    ingest_file(service, paths.events, service.event_parser(), console, batch_size=1000)
    for source, path in (("crm", paths.crm), ("loyalty", paths.loyalty)):
        mapping = RecordMapping.infer(csv_header(path), source, service.normalizer.types)
        ingest_file(service, path, service.record_parser(mapping), console, batch_size=1000)
    service.match(retrain=True)
    try:
        yield service
    finally:
        store.close()


@pytest.fixture(scope="module")
def driver(neo4j_uri: str) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=auth_from_env()) as d:
        yield d


def _run(driver: neo4j.Driver, text: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(text, params)
    return [r.data() for r in records]


def _one(driver: neo4j.Driver, text: str) -> dict[str, Any]:
    rows = _run(driver, text)
    assert rows, text
    return rows[0]


@pytest.fixture(scope="module")
def params(demo: IdentityService, driver: neo4j.Driver) -> dict[str, dict[str, Any]]:
    """Representative parameters for each saved query, taken from the demo data."""
    email = _one(
        driver,
        "MATCH (i:Email)-[:BELONGS_TO]->(p:Person) WHERE i.is_hub = false "
        "RETURN i.type AS type, i.value AS value, p.person_id AS person_id "
        "ORDER BY i.key LIMIT 1",
    )
    # two identifiers of one person joined through a probabilistic link and one more link
    pair = _one(
        driver,
        "MATCH (x:Identifier)-[:LINKED {kind: 'probabilistic', status: 'active'}]-(y:Identifier) "
        "MATCH (x)-[:LINKED {status: 'active'}]-(z:Identifier) WHERE z <> y "
        "RETURN z.key AS a, y.key AS b ORDER BY a, b LIMIT 1",
    )
    old = _one(
        driver,
        "MATCH (p:Person)-[:MERGED_INTO]->(:Person) "
        "WHERE NOT EXISTS { (p)<-[:BELONGS_TO]-() } RETURN p.person_id AS person_id "
        "ORDER BY person_id LIMIT 1",
    )
    person = {"person_id": email["person_id"]}
    return {
        "person_by_identifier": {"type": email["type"], "value": email["value"]},
        "person_identifiers_and_links": person,
        "why_linked": pair,
        "lineage": old,
    }


def test_every_saved_query_has_a_title_and_documented_parameters() -> None:
    queries = saved_queries()
    assert set(queries) >= MUST_FIND
    html = BROWSER.joinpath("guide.html").read_text(encoding="utf-8")
    for name, text in queries.items():
        first = text.splitlines()[0]
        assert re.fullmatch(r"// [A-Z].{3,80}", first), (name, first)
        for param in re.findall(r"\$([A-Za-z_]\w*)", text):
            assert param in {"type", "value", "a", "b", "person_id"}, (name, param)
            assert f":param {param} =&gt;" in html, f"the guide does not show :param {param}"


@pytest.mark.neo4j
def test_saved_queries_run_on_demo_data(
    driver: neo4j.Driver, params: dict[str, dict[str, Any]]
) -> None:
    results = {
        name: _run(driver, text, **params.get(name, {})) for name, text in saved_queries().items()
    }
    empty = sorted(n for n in MUST_FIND if not results[n])
    assert not empty, f"found nothing: {empty}"

    by_id = results["person_by_identifier"]
    assert {r["person_id"] for r in by_id} == {params["person_identifiers_and_links"]["person_id"]}
    assert params["person_by_identifier"]["value"] in {r["value"] for r in by_id}

    (why,) = results["why_linked"]
    assert len(why["links"]) >= 1
    assert {"weight", "kind", "sources", "count", "evidence"} <= set(why["links"][0])

    flagged = {
        r["key"]
        for r in _run(driver, "MATCH (i:Identifier) WHERE i.is_hub = true RETURN i.key AS key")
    }
    assert flagged and {r["hub"] for r in results["hubs"]} == flagged
    assert all(r["reason"] for r in results["hubs"])

    ats = [r["at"] for r in results["refused_merges"]]
    assert ats == sorted(ats, reverse=True)

    lineage = results["lineage"]
    assert any(r["current"] for r in lineage), "an old person ID resolves to a current person"
    assert any("MERGED_INTO" in step for r in lineage for step in r["steps"])

    reviews = results["pending_reviews"]
    probabilities = [r["probability"] for r in reviews]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.90 <= p < 0.96 for p in probabilities)

    assert all(r["evidence"] and r["count"] >= 1 for r in results["probabilistic_links"])
    labels = {tuple(r["labels"]) for r in results["identifier_types"]}
    assert ("Email",) in labels and ("CrmId",) in labels


@pytest.mark.neo4j
def test_every_runnable_block_of_the_guide_runs(
    driver: neo4j.Driver, params: dict[str, dict[str, Any]]
) -> None:
    blocks = guide_blocks()
    queries = saved_queries()
    saved = {text.strip(): name for name, text in queries.items()}
    assert len(blocks) >= len(queries)
    shown: set[str] = set()
    for block in blocks:
        if block in saved:
            shown.add(saved[block])  # run with its parameters by the test above
            continue
        param = PARAM_LINE.fullmatch(block)
        if param:
            # the Browser evaluates `:param name => expression` as `RETURN expression AS name`
            name, expression = param.groups()
            _run(driver, f"RETURN {expression} AS {name}")
            continue
        assert not block.startswith(":"), f"a Browser command the test cannot check: {block}"
        assert "$" not in block, f"a runnable block with parameters must be a saved query: {block}"
        assert _run(driver, block), f"found nothing: {block}"
    assert shown == set(queries), f"saved queries missing from the guide: {set(queries) - shown}"


@pytest.mark.neo4j
def test_steward_decisions_show_a_decided_review(
    demo: IdentityService, driver: neo4j.Driver
) -> None:
    """Last in the module: it changes the demo data (decides the pending review)."""
    from identity_graph.review.decisions import pair_id

    queries = saved_queries()
    pending = _run(driver, queries["pending_reviews"])
    assert pending
    demo.decide(pair_id(pending[0]["a"], pending[0]["b"]), "approve", "steward:test", "same")
    decisions = _run(driver, queries["steward_decisions"])
    assert decisions and decisions[0]["actor"]
    assert len(_run(driver, queries["pending_reviews"])) == len(pending) - 1


# -- the API serves the guide ----------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = SQLiteStore(f"sqlite:///{tmp_path / 'graph.db'}")
    app = create_app(service_factory=lambda: IdentityService(store, Settings()))
    with TestClient(app, headers=bearer(issue_key(store, "admin"))) as c:
        yield c


def test_the_api_serves_the_guide_with_cors_for_that_path_only(client: TestClient) -> None:
    origin = {"Origin": "http://localhost:7474"}
    r = client.get("/guides/identity-graph.html", headers=origin)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["access-control-allow-origin"] == "*"
    assert '<article class="guide">' in r.text and "runnable" in r.text
    pre = client.options(
        "/guides/identity-graph.html",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    other = client.get("/v1/stats", headers=origin)
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_guide_slides_follow_the_browser_format() -> None:
    html = BROWSER.joinpath("guide.html").read_text(encoding="utf-8")
    assert html.lstrip().startswith('<article class="guide">')
    assert '<carousel class="deck container-fluid">' in html
    assert html.count('<slide class="row-fluid">') >= 6
    assert "<script" not in html.lower()
    first = html.split('<slide class="row-fluid">')[1]
    assert "browser.remote_content_hostname_whitelist" in first
    assert ":play http://localhost:8000/guides/identity-graph.html" in first


# -- the style file --------------------------------------------------------------------

GRASS_RULE = re.compile(r'\s*([a-z]+(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\{((?:[^{}"]|"[^"]*")*)\}\s*')
GRASS_DECL = re.compile(r'\s*([a-z][a-z-]*)\s*:\s*("[^"]*"|[^;"]+?)\s*;\s*')


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """The simple GraSS grammar: `selector { property: value; ... }`, nothing else."""
    rules: dict[str, dict[str, str]] = {}
    pos = 0
    while pos < len(text):
        m = GRASS_RULE.match(text, pos)
        if not m:
            if text[pos:].strip():
                raise AssertionError(f"not GraSS at {text[pos : pos + 40]!r}")
            break
        selector, body = m.groups()
        assert selector.split(".")[0] in ("node", "relationship"), selector
        assert selector not in rules, f"{selector} twice"
        decls: dict[str, str] = {}
        inner = 0
        while inner < len(body):
            d = GRASS_DECL.match(body, inner)
            if not d:
                if body[inner:].strip():
                    raise AssertionError(f"{selector}: bad declaration {body[inner:]!r}")
                break
            decls[d.group(1)] = d.group(2)
            inner = d.end()
        rules[selector] = decls
        pos = m.end()
    return rules


def test_style_file_is_grass_and_styles_every_type_label() -> None:
    rules = parse_grass(BROWSER.joinpath("style.grass").read_text(encoding="utf-8"))
    colours = {}
    for label in BUILTIN_LABELS.values():
        rule = rules[f"node.{label}"]
        assert rule["caption"] == '"{value}"'
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"])
        colours[label] = rule["color"].upper()
    assert len(set(colours.values())) == len(colours), "one colour per identifier type"
    person = rules["node.Person"]
    assert person["caption"] == '"{person_id}"'
    assert person["color"].upper() not in colours.values()
    assert rules["relationship.LINKED"]["caption"] == '"{weight}"'
