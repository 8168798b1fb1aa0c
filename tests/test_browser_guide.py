"""What stewards open in Neo4j Browser: identifier type labels, display properties (captions,
the Hub label, review pair IDs), saved queries, the guide, the style and the zip of saved
queries (served by the API with CORS).

The saved queries and every runnable block of the guide run against a real Neo4j 5.26 holding
a small synthetic population, ingested and matched through the service as in the demo, with
the parameters the guide's own :param block finds (tests/test_browser_ui.py does the same
in a real Neo4j Browser).
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient

from identity_graph.api import create_app
from identity_graph.api.routes.guides import API_MARKER, SAVED_FOLDER, guide_html
from identity_graph.config import BUILTIN_TYPES, Settings
from identity_graph.errors import StoreError
from identity_graph.ids import pair_id
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.service.identity import IdentityService
from identity_graph.stores.neo4j import Neo4jStore, type_label
from identity_graph.stores.neo4j.browser import link_caption, wrap_caption
from identity_graph.stores.sqlite import SQLiteStore
from tests.browser_demo import neo4j_demo
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
PARAM_NAMES = {"type", "value", "a", "b", "person_id"}
# `:param [{x, y}] => { QUERY }`: Browser runs QUERY and sets x and y from its first row.
PARAM_LAMBDA = re.compile(r":param\s+\[\{([\w\s,]+)\}\]\s*=>\s*\{(.*)\}", re.DOTALL)
STYLE_LINE = re.compile(r":style (\S+)")
API = "http://127.0.0.1:8000"


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


def guide_blocks(api: str = API) -> list[str]:
    """The runnable blocks of the guide as the API serves it from `api`."""
    parser = _Runnable()
    parser.feed(guide_html(api))
    return parser.blocks


def param_block() -> tuple[list[str], str]:
    """The guide's one :param block: the names it sets and the query that finds them."""
    found = [m for m in map(PARAM_LAMBDA.fullmatch, guide_blocks()) if m]
    assert len(found) == 1, "one :param block sets every parameter"
    names, body = found[0].groups()
    return [n.strip() for n in names.split(",")], body.strip()


def query_params(text: str, params: dict[str, Any]) -> dict[str, Any]:
    return {name: params[name] for name in set(re.findall(r"\$([A-Za-z_]\w*)", text))}


# -- type labels -----------------------------------------------------------------------


def test_type_labels_are_pascal_case_of_checked_type_names() -> None:
    assert {t: type_label(t) for t in BUILTIN_TYPES} == BUILTIN_LABELS
    assert type_label("foo_bar") == "FooBar"
    for bad in ("", "Email", "e-mail", "1st", "a b", "x`) DETACH DELETE (n", "person", "hub"):
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
    """The demo-like population of tests/browser_demo.py, in the harness Neo4j."""
    with neo4j_demo(neo4j_uri, tmp_path_factory.mktemp("browser-demo")) as service:
        yield service


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
def params(demo: IdentityService, driver: neo4j.Driver) -> dict[str, Any]:
    """The parameters the guide's :param block finds in the demo data (as Browser sets them:
    from the first row of its query)."""
    names, body = param_block()
    rows = _run(driver, body)
    assert rows, "the guide's :param block finds an example in the demo data"
    assert set(names) == PARAM_NAMES
    return {name: rows[0][name] for name in names}


def test_every_saved_query_has_a_title_and_documented_parameters() -> None:
    queries = saved_queries()
    assert set(queries) >= MUST_FIND
    html = BROWSER.joinpath("guide.html").read_text(encoding="utf-8")
    for name, text in queries.items():
        first = text.splitlines()[0]
        assert re.fullmatch(r"// [A-Z].{3,80}", first), (name, first)
        for param in re.findall(r"\$([A-Za-z_]\w*)", text):
            assert param in PARAM_NAMES, (name, param)
            assert f":param {param} =&gt;" in html, f"the guide does not show :param {param}"


@pytest.mark.neo4j
def test_saved_queries_run_on_demo_data(driver: neo4j.Driver, params: dict[str, Any]) -> None:
    results = {
        name: _run(driver, text, **query_params(text, params))
        for name, text in saved_queries().items()
    }
    empty = sorted(n for n in MUST_FIND if not results[n])
    assert not empty, f"found nothing: {empty}"

    by_id = results["person_by_identifier"]
    assert {r["person_id"] for r in by_id} == {params["person_id"]}
    assert params["value"] in {r["value"] for r in by_id}
    assert params["b"] in {f"{r['type']}:{r['value']}" for r in by_id}

    links = results["person_identifiers_and_links"]
    assert list(links[0])[:4] == ["identifier", "linked_to", "kind", "weight"]
    assert any(r["kind"] == "probabilistic" for r in links), "the example has a matched link"

    (why,) = results["why_linked"]
    assert why["hops"] == len(why["links"]) >= 1
    assert {"weight", "kind", "sources", "count", "evidence"} <= set(why["links"][0])

    flagged = {
        r["key"]
        for r in _run(driver, "MATCH (i:Identifier) WHERE i.is_hub = true RETURN i.key AS key")
    }
    hubs = results["hubs"]
    assert flagged and {r["hub"] for r in hubs} == flagged
    for hub in hubs:
        # the count its stored reason names ("its links would join 3 persons ...")
        (named,) = re.findall(r"would join (\d+) persons", hub["reason"])
        assert hub["persons_touched"] == int(named) == len(hub["person_ids"]), hub["hub"]
        assert hub["links"] and hub["persons"], "the graph view shows the hub with its links"
        assert {p["person_id"] for p in hub["persons"]} == set(hub["person_ids"])
    assert not any(isinstance(v, dict) for v in list(hubs[0].values())[:5]), "scalars first"

    ats = [r["at"] for r in results["refused_merges"]]
    assert ats == sorted(ats, reverse=True)

    lineage = results["lineage"]
    assert any(r["current"] for r in lineage), "the example person is current"
    assert any("MERGED_INTO" in step for r in lineage for step in r["steps"])

    reviews = results["pending_reviews"]
    probabilities = [r["probability"] for r in reviews]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0.90 <= p < 0.96 and round(p, 3) == p for p in probabilities)
    assert all(r["pair_id"] == pair_id(r["a"], r["b"]) for r in reviews)

    matched = results["probabilistic_links"]
    assert all(r["evidence"] and r["count"] >= 1 for r in matched)
    assert all(round(r["probability"], 3) == r["probability"] for r in matched)
    labels = {tuple(r["labels"]) for r in results["identifier_types"]}
    assert ("Email",) in labels and ("CrmId",) in labels
    # tables open on their useful columns: no query of a table returns whole nodes
    for name in ("person_by_identifier", "probabilistic_links", "pending_reviews"):
        assert not any(isinstance(v, dict) for r in results[name] for v in r.values()), name


@pytest.mark.neo4j
def test_every_runnable_block_of_the_guide_runs(driver: neo4j.Driver) -> None:
    blocks = guide_blocks()
    queries = saved_queries()
    saved = {text.strip(): name for name, text in queries.items()}
    assert len(blocks) >= len(queries)
    # Browser keeps 15 frames: its own first two (:play start, :server connect), this guide
    # and one frame per block fit.
    assert len(blocks) <= 12
    shown: set[str] = set()
    for block in blocks:
        if block in saved:
            shown.add(saved[block])  # run with the guide's parameters by the test above
            continue
        if PARAM_LAMBDA.fullmatch(block):
            continue  # the params fixture runs it
        style = STYLE_LINE.fullmatch(block)
        if style:
            assert style.group(1) == f"{API}/guides/style.grass"
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
    # the API's own address wherever the guide points at it (the test client's)
    assert API_MARKER not in r.text
    assert ":style http://testserver/guides/style.grass" in r.text
    assert 'href="http://testserver/guides/saved-queries.zip"' in r.text
    pre = client.options(
        "/guides/identity-graph.html",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    other = client.get("/v1/stats", headers=origin)
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_the_api_serves_the_style_and_the_saved_queries_zip(client: TestClient) -> None:
    origin = {"Origin": "http://127.0.0.1:7474"}
    style = client.get("/guides/style.grass", headers=origin)
    assert style.status_code == 200 and style.headers["access-control-allow-origin"] == "*"
    assert style.text == BROWSER.joinpath("style.grass").read_text(encoding="utf-8")
    pre = client.options(
        "/guides/style.grass", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    z = client.get("/guides/saved-queries.zip")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as archive:
        got = {n: archive.read(n).decode("utf-8") for n in archive.namelist()}
    # Browser takes each .cypher of a dropped zip as a favorite, in the folder of its path
    assert got == {f"{SAVED_FOLDER}/{n}.cypher": t for n, t in saved_queries().items()}
    assert client.get("/guides/saved-queries.zip").content == z.content


def test_the_guide_names_the_host_it_was_fetched_from_or_a_safe_default(tmp_path: Path) -> None:
    assert ":style http://localhost:8000/guides/style.grass" in guide_html("http://localhost:8000")
    store_html = guide_html('http://x"><script>')
    assert "<script>" not in store_html and "&quot;" in store_html
    app = create_app(
        service_factory=lambda: IdentityService(
            SQLiteStore(f"sqlite:///{tmp_path / 'g.db'}"), Settings()
        )
    )
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        text = c.get("/guides/identity-graph.html").text
    assert ":style http://127.0.0.1:8000/guides/style.grass" in text
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        odd = c.get("/guides/identity-graph.html", headers={"Host": 'a"b<c>'}).text
    assert 'a"b<c>' not in odd and "a&quot;b" not in odd
    assert ":style http://127.0.0.1:8000/guides/style.grass" in odd


def test_guide_slides_follow_the_browser_format() -> None:
    html = BROWSER.joinpath("guide.html").read_text(encoding="utf-8")
    assert html.lstrip().startswith('<article class="guide">')
    assert '<carousel class="deck container-fluid">' in html
    assert html.count('<slide class="row-fluid">') >= 6
    assert "<script" not in html.lower()
    first = html.split('<slide class="row-fluid">')[1]
    assert "Pin this guide" in first and ":style" in first and "saved-queries.zip" in first
    assert "browser.remote_content_hostname_whitelist" in html
    assert "localhost,127.0.0.1" in html
    assert f":play {API_MARKER}/guides/identity-graph.html" in html
    # values come from the graph: none of the old made-up examples
    for made_up in ("anna.smith@example.com", "CRM-00000001", "paste-a-person-id"):
        assert made_up not in html


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
        assert rule["caption"] == '"{caption}"'
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"])
        colours[label] = rule["color"].upper()
    assert len(set(colours.values())) == len(colours), "one colour per identifier type"
    person = rules["node.Person"]
    assert person["caption"] == '"{caption}"'
    assert person["color"].upper() not in colours.values()
    assert rules["relationship.LINKED"]["caption"] == '"{caption}"'
    # Browser applies every matching rule in file order: Hub comes after the type rules
    assert list(rules)[-1] == "node.Hub" and rules["node.Hub"]["caption"] == '"HUB {caption}"'
    assert rules["node.Hub"]["color"].upper() not in {*colours.values(), person["color"].upper()}


# -- display properties ----------------------------------------------------------------


def test_captions_break_values_into_even_pieces_at_their_separators() -> None:
    assert wrap_caption("anna.smith@example.com") == "anna.smith@ example.com"
    assert wrap_caption("alejandraschafer@yahoo.co.uk") == "alejandr aschafer@ yahoo.co.uk"
    assert wrap_caption("da94d7c6-fbba-42dd-b5bd-ece7a5a4f554") == (
        "da94d7c6-fbb a-42dd-b5bd- ece7a5a4f554"
    )
    assert wrap_caption("+12025326118") == "+12025326118"
    assert wrap_caption("6035002688658772") == "60350026 88658772"
    assert wrap_caption("") == ""
    assert wrap_caption("a b") == "a\u00a0b"  # Browser breaks at spaces: none of its own
    for text in ("a.lewis79@mail.com", "x" * 40, "CRM-00131289", "a b.c", "é" * 25):
        pieces = wrap_caption(text).split(" ")
        assert "".join(pieces) == text.replace(" ", "\u00a0")
        assert len(pieces) == max(1, -(-len(text) // 12)) and all(len(p) <= 12 for p in pieces)
        # pieces of nearly equal length: no two fit the width of one line together
        assert all(len(a) + len(b) > 12 for a, b in itertools.pairwise(pieces))


def test_link_captions_tell_kinds_apart_with_weights_rounded_down() -> None:
    assert link_caption("probabilistic", 0.9669579614973991, 1, "active") == "match 0.966"
    assert link_caption("probabilistic", 0.9999999999894709, 1, "active") == "match 0.999"
    assert link_caption("deterministic", 1.0, 3, "active") == "seen ×3"
    assert link_caption("steward", 1.0, 1, "active") == "steward"
    assert link_caption("steward", 1.0, 1, "cannot_link") == "cannot-link"
    assert link_caption("deterministic", 1.0, 2, "refused") == "seen ×2 (refused)"


@pytest.mark.neo4j
def test_display_properties_are_written_and_restored_on_an_older_graph(
    demo: IdentityService, driver: neo4j.Driver, neo4j_uri: str
) -> None:
    def display() -> list[dict[str, Any]]:
        return _run(
            driver,
            "MATCH (i:Identifier) RETURN 'i' AS kind, i.key AS id, i.caption AS caption, "
            "i:Hub AS hub, i.is_hub AS is_hub UNION ALL "
            "MATCH (p:Person) RETURN 'p' AS kind, p.person_id AS id, p.caption AS caption, "
            "null AS hub, null AS is_hub UNION ALL "
            "MATCH (a)-[l:LINKED]->(b) RETURN 'l' AS kind, a.key + ' ' + b.key AS id, "
            "l.caption AS caption, null AS hub, null AS is_hub UNION ALL "
            "MATCH (r:Review) RETURN 'r' AS kind, r.a + ' ' + r.b AS id, r.pair_id AS caption, "
            "null AS hub, null AS is_hub",
        )

    before = display()
    assert before and all(r["caption"] for r in before)
    assert all(r["hub"] == r["is_hub"] for r in before if r["kind"] == "i")
    assert any(r["hub"] for r in before)
    # a graph written before display properties existed: none of them, no display marker
    driver.execute_query(
        "MATCH (n) WHERE n:Identifier OR n:Person REMOVE n.caption, n:Hub "
        "WITH count(*) AS done MATCH ()-[l:LINKED]->() REMOVE l.caption "
        "WITH count(*) AS done MATCH (r:Review) REMOVE r.pair_id "
        "WITH count(*) AS done MATCH (m:Meta {name: 'display'}) DELETE m"
    )
    assert not any(r["caption"] or r["hub"] for r in display())
    Neo4jStore(neo4j_uri, auth=auth_from_env()).close()  # opening it rewrites them once
    after = display()
    key = lambda r: (r["kind"], r["id"])  # noqa: E731
    assert sorted(after, key=key) == sorted(before, key=key)
