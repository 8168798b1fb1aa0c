"""Operations: probes, request IDs and log lines, Prometheus metrics (one worker and two),
the offline docs (also from an installed wheel), the Dockerfile and docker-compose.yml."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from identity_graph.api import create_app, observability
from identity_graph.cli import app as cli_app
from identity_graph.config import Settings
from identity_graph.logs import (
    REQUESTS_LOGGER,
    JsonFormatter,
    TextFormatter,
    logging_config,
    mask_identifier,
)
from identity_graph.security import rules
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, issue_key, login
from tests.logged_server import ROOT, live_server

SECRET = "Priscilla.Private@Example.com"


def _app(store: GraphStore) -> FastAPI:
    return create_app(service_factory=lambda: IdentityService(store, Settings()))


@pytest.fixture
def client(store: GraphStore) -> Iterator[TestClient]:
    with TestClient(_app(store)) as c:
        yield c


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(f"sqlite:///{tmp_path / 'ops.db'}")


@pytest.fixture
def sqlite_client(sqlite_store: SQLiteStore) -> Iterator[TestClient]:
    """No key of its own: the probes, metrics and docs are public."""
    with TestClient(_app(sqlite_store)) as c:
        yield c


@pytest.fixture
def admin(sqlite_store: SQLiteStore) -> dict[str, str]:
    return bearer(issue_key(sqlite_store, "admin", name="ops-admin"))


def _server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # httpx logs the URLs the test client asks for: the client's side, not the server's.
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


def _json_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    fmt = JsonFormatter()
    return [json.loads(fmt.format(r)) for r in _server_records(caplog)]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# -- probes -------------------------------------------------------------------------------


def test_healthz_and_readyz_answer_200(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_readyz_is_503_in_the_error_shape_while_the_store_does_not_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLiteStore(f"sqlite:///{tmp_path / 'gone.db'}")
    with TestClient(_app(store)) as c:
        assert c.get("/readyz").status_code == 200
        store.close()  # what a lost database connection looks like to the app
        caplog.set_level(logging.INFO)
        r = c.get("/readyz")
        assert r.status_code == 503
        assert {"detail", "errors"} <= r.json().keys()
        assert c.get("/healthz").status_code == 200  # alive all the same
    (error,) = [line for line in _json_lines(caplog) if line["msg"] == "store error"]
    assert error["exc"]["type"] == "identity_graph.errors.StoreError"
    assert error["request_id"] == r.headers["x-request-id"]


# -- request IDs and log lines --------------------------------------------------------------


def test_a_sane_request_id_is_kept_and_anything_else_replaced(sqlite_client: TestClient) -> None:
    r = sqlite_client.get("/healthz", headers={"X-Request-ID": "abc-123.x:y"})
    assert r.headers["x-request-id"] == "abc-123.x:y"
    for insane in (SECRET, "a b", "x" * 129, "ü"):
        got = sqlite_client.get("/healthz", headers={"X-Request-ID": insane.encode("utf-8")})
        assert re.fullmatch(r"[0-9a-f]{32}", got.headers["x-request-id"]), insane
    assert sqlite_client.get("/healthz").headers["x-request-id"] != r.headers["x-request-id"]


def test_a_request_line_names_the_route_template_and_the_caller_never_the_path(
    sqlite_client: TestClient, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    headers = {**admin, "X-Request-ID": "r1"}
    r = sqlite_client.get(f"/v1/identifiers/email/{SECRET}/person", headers=headers)
    assert r.status_code == 404
    (line,) = [x for x in _json_lines(caplog) if x["logger"] == REQUESTS_LOGGER]
    assert line == {
        **line,
        "request_id": "r1",
        "method": "GET",
        "route": "/v1/identifiers/{type}/{value}/person",
        "status": 404,
        "level": "info",
        "caller": "ops-admin",
    }
    assert line["duration_ms"] >= 0
    assert SECRET.lower() not in json.dumps(_json_lines(caplog)).lower()
    assert admin["Authorization"].removeprefix("Bearer ") not in json.dumps(_json_lines(caplog))
    caplog.clear()
    assert sqlite_client.get("/v1/stats").status_code == 401  # no key: no caller
    (line,) = [x for x in _json_lines(caplog) if x["logger"] == REQUESTS_LOGGER]
    assert line["status"] == 401 and "caller" not in line


def test_the_caller_is_the_key_name_set_by_auth() -> None:
    class Caller:
        name = "etl-writer"
        key = "secret-key-never-logged"

    assert observability.caller_name({"state": {"caller": Caller()}}) == "etl-writer"
    assert observability.caller_name({"state": {}}) is None
    assert observability.caller_name({}) is None


def test_an_unhandled_exception_is_a_500_logged_without_its_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(SQLiteStore(f"sqlite:///{tmp_path / 'boom.db'}"))

    def boom() -> None:
        raise ValueError(f"cannot handle {SECRET}") from KeyError(SECRET)

    app.add_api_route("/boom", boom)  # a route that fails the way a bug would
    monkeypatch.setitem(rules.RULES, ("GET", "/boom"), rules.PUBLIC)
    caplog.set_level(logging.INFO)
    with TestClient(app) as c:
        r = c.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500 and r.headers["x-request-id"] == "boom-1"
    assert {"detail", "errors"} <= r.json().keys() and SECRET not in r.text
    lines = _json_lines(caplog)
    (error,) = [x for x in lines if x["msg"] == "unhandled exception"]
    assert error["request_id"] == "boom-1" and error["level"] == "error"
    assert error["exc"]["type"] == "builtins.ValueError"
    assert error["exc"]["cause"]["type"] == "builtins.KeyError"
    assert any("in boom" in frame for frame in error["exc"]["frames"])
    (line,) = [x for x in lines if x["logger"] == REQUESTS_LOGGER]
    assert line["status"] == 500 and line["route"] == "/boom" and line["level"] == "error"
    as_text = [TextFormatter().format(r) for r in _server_records(caplog)]
    text = "\n".join([json.dumps(x) for x in lines] + as_text)
    assert SECRET not in text and "Priscilla" not in text


def test_text_format_carries_the_same_fields() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "request", None, None)
    record.route, record.status = "/v1/batch", 200
    assert re.fullmatch(
        r"\S+ INFO +x \[-\] request route=/v1/batch status=200", TextFormatter().format(record)
    )


def test_masked_identifiers_tell_values_apart_without_showing_them() -> None:
    a, b = mask_identifier("email", SECRET), mask_identifier("email", "other@example.com")
    assert a.startswith("email:") and a != b and a == mask_identifier("email", SECRET)
    assert "priscilla" not in a.lower() and len(a) == len("email:") + 10


def test_logging_config_keeps_uvicorns_access_log_off() -> None:
    config = logging_config("json")
    assert config["loggers"]["uvicorn.access"] == {
        "handlers": [],
        "propagate": False,
        "level": "CRITICAL",
    }
    assert config["loggers"][REQUESTS_LOGGER]["level"] == "INFO"
    assert logging_config("text", requests=False)["loggers"][REQUESTS_LOGGER]["level"] == "ERROR"


# -- metrics ------------------------------------------------------------------------------


def test_metrics_move_after_an_ingest_and_a_lookup(
    sqlite_client: TestClient, admin: dict[str, str]
) -> None:
    c = sqlite_client
    before = _samples(c.get("/metrics").text)
    batch = {"batch": [login("u-m1", "c-m1", email=SECRET), login("u-m2", "c-m2")]}
    assert c.post("/v1/batch", json=batch, headers=admin).status_code == 200
    assert c.post("/v1/identify", json=login("u-m3", "c-m3"), headers=admin).status_code == 200
    assert c.get(f"/v1/identifiers/email/{SECRET}/person", headers=admin).status_code == 200
    missing = "/v1/identifiers/email/nobody@example.com/person"
    assert c.get(missing, headers=admin).status_code == 404
    bad = {"batch": [{"type": "nope"}]}
    assert c.post("/v1/batch", json=bad, headers=admin).status_code == 400
    assert c.get("/v1/stats", headers=admin).status_code == 200  # not a profile lookup
    r = sqlite_client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = _samples(r.text)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    lookup = "/v1/identifiers/{type}/{value}/person"
    assert moved("identity_graph_ingest_batches_total") == 2  # the batch and the identify
    assert moved("identity_graph_ingest_events_total") == 3
    assert moved("identity_graph_ingest_batch_duration_seconds_count", route="/v1/batch") == 2
    assert moved("identity_graph_ingest_batch_duration_seconds_count", route="/v1/identify") == 1
    assert moved("identity_graph_lookup_duration_seconds_count", route=lookup) == 2
    http = "identity_graph_http_requests_total"
    assert moved(http, method="POST", route="/v1/batch", status_class="2xx") == 1
    assert moved(http, method="POST", route="/v1/batch", status_class="4xx") == 1
    assert moved(http, method="GET", route=lookup, status_class="2xx") == 1
    assert moved(http, method="GET", route=lookup, status_class="4xx") == 1
    assert ("identity_graph_write_queue_depth", ()) in after


def test_metric_route_labels_are_route_templates(
    sqlite_client: TestClient, admin: dict[str, str]
) -> None:
    sqlite_client.get(f"/v1/identifiers/email/{SECRET}/person", headers=admin)
    sqlite_client.get(f"/v1/persons/{SECRET}", headers=admin)
    sqlite_client.get(f"/no/such/{SECRET}", headers=admin)
    sqlite_client.get("/docs/assets/swagger-ui/swagger-ui.css")
    text = sqlite_client.get("/metrics").text
    assert SECRET.lower() not in text.lower()
    app: Any = sqlite_client.app
    templates = set(app.openapi()["paths"]) | {"/metrics", "/openapi.json", "/docs/assets/{path}"}
    templates |= {"/docs", "/docs/redoc", "/docs/oauth2-redirect", observability.UNMATCHED}
    templates.add("/boom")  # metrics are per process: the failing route of a test above
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if "route" in s.labels:
                assert s.labels["route"] in templates, s


def test_the_write_queue_depth_is_read_from_its_hook(
    sqlite_client: TestClient, sqlite_store: SQLiteStore
) -> None:
    # The app hands the gauge its store's count of writes waiting for their turn.
    assert observability._queue_depth is not None
    assert observability._queue_depth() == sqlite_store.writes_waiting == 0
    samples = _samples(sqlite_client.get("/metrics").text)
    assert _value(samples, "identity_graph_write_queue_depth") == 0
    observability.watch_write_queue(lambda: 7)
    try:
        samples = _samples(sqlite_client.get("/metrics").text)
        assert _value(samples, "identity_graph_write_queue_depth") == 7
    finally:
        observability.watch_write_queue(None)
        observability.WRITE_QUEUE_DEPTH.set(0)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_of_a_live_server_add_up_over_its_workers(tmp_path: Path, workers: int) -> None:
    """Any worker may answer a scrape: each shows every worker's counts. The shared
    metrics directory is gone once the server stops."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    env.pop(observability.MULTIPROC_ENV, None)
    args = ["--workers", str(workers)]
    batches = 6
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = SQLiteStore(url)
    write_key = issue_key(store, "ingest", name="sdk")  # sent as an SDK does: Basic user
    store.close()
    with live_server(url, tmp_path, args, env) as server:
        for i in range(batches):
            body = {"batch": [login(f"u-w{i}", f"c-w{i}"), login(f"u-w{i}", f"d-w{i}")]}
            r = httpx.post(f"{server.url}/v1/batch", json=body, auth=(write_key, ""), timeout=60)
            assert r.status_code == 200, r.text
        if workers > 1:
            assert [p.name[:15] for p in temp.iterdir()] == ["identity-graph-"]
        for _ in range(4):  # new connections: the kernel spreads them over the workers
            samples = _samples(httpx.get(f"{server.url}/metrics", timeout=30).text)
            assert _value(samples, "identity_graph_ingest_batches_total") == batches
            assert _value(samples, "identity_graph_ingest_events_total") == 2 * batches
            count = "identity_graph_ingest_batch_duration_seconds_count"
            assert _value(samples, count, route="/v1/batch") == batches
    assert server.process.returncode == 0 or server.process.returncode < 0
    assert list(temp.iterdir()) == []


# -- offline docs -------------------------------------------------------------------------

ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def _local_urls(html: str) -> list[str]:
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    urls += re.findall(r"""url: *['"]([^'"]+)['"]""", html)
    return urls


@pytest.mark.parametrize("page", ["/docs", "/docs/redoc"])
def test_docs_load_only_local_assets_that_answer(sqlite_client: TestClient, page: str) -> None:
    html = sqlite_client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", html.text.replace("window.location.origin", ""))
    urls = _local_urls(html.text)
    assets = [u for u in urls if Path(u).suffix in ASSET_TYPES]
    assert len(assets) >= (3 if page == "/docs" else 2), urls
    for url in urls:
        assert url.startswith("/"), url
        r = sqlite_client.get(url)
        assert r.status_code == 200, url
        if Path(url).suffix in ASSET_TYPES:
            assert ASSET_TYPES[Path(url).suffix] in r.headers["content-type"], url
            assert len(r.content) > 500, url
    spec = sqlite_client.get("/openapi.json")
    assert spec.status_code == 200 and "/v1/batch" in spec.json()["paths"]


def test_docs_oauth2_redirect_page_is_local(sqlite_client: TestClient) -> None:
    r = sqlite_client.get("/docs/oauth2-redirect")
    assert r.status_code == 200 and "https://" not in r.text


_WHEEL_CHECK = """
import sys
from pathlib import Path
import identity_graph
assert Path(identity_graph.__file__).is_relative_to(sys.argv[1]), identity_graph.__file__
from fastapi.testclient import TestClient
from identity_graph.api import create_app
from identity_graph.stores.cypher_files import names
assert len(names()) > 50, names()
with TestClient(create_app(store_url="sqlite:///" + sys.argv[2])) as c:
    for url in ("/docs/assets/swagger-ui/swagger-ui-bundle.js",
                "/docs/assets/swagger-ui/swagger-ui.css",
                "/docs/assets/redoc/redoc.standalone.js"):
        r = c.get(url)
        assert r.status_code == 200 and len(r.content) > 100_000, url
    assert c.get("/docs").status_code == 200
print("wheel ok")
"""


def _docker_context(into: Path) -> Path:
    """What the Dockerfile copies before `pip install .`, laid out as in the image."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    into.mkdir()
    for sources in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
        for source in sources.split():
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, into / source, symlinks=True)
            else:
                shutil.copy2(path, into / source)
    return into


@pytest.mark.slow
def test_the_image_build_context_makes_a_wheel_with_the_docs_and_queries(tmp_path: Path) -> None:
    """Built from what the Dockerfile copies, as its `pip install .` builds it, and
    installed without the checkout: the docs assets and the Cypher files come along."""
    source, wheels, target = _docker_context(tmp_path / "src"), tmp_path / "whl", tmp_path / "site"
    pip = [sys.executable, "-m", "pip"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = wheels.glob("identity_graph-*.whl")
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = dict(os.environ, PYTHONPATH=str(target))
    check = subprocess.run(
        [sys.executable, "-c", _WHEEL_CHECK, str(target), str(tmp_path / "w.db")],
        cwd=tmp_path,  # not the checkout: its identity_graph must not be importable
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0 and "wheel ok" in check.stdout, check.stderr[-3000:]


# -- docker -------------------------------------------------------------------------------


def test_compose_publishes_ports_on_loopback_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    assert compose["services"]["api"]["build"] == "."
    assert "keys create --name admin --role admin" in (ROOT / "docker-compose.yml").read_text()


def test_dockerfile_command_and_healthcheck_exist() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    argv = json.loads(cmd)
    assert argv[:2] == ["identity-graph", "serve"]
    help_text = CliRunner().invoke(cli_app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    for flag in (a for a in argv[2:] if a.startswith("--")):
        assert flag in help_text, flag
    assert argv[argv.index("--log-format") + 1] == "json"
    (health,) = re.findall(r"^HEALTHCHECK .*\n(?:  .*\n)*", text, re.MULTILINE)
    assert "/readyz" in health


def test_the_readme_names_the_metrics_that_are_served(sqlite_client: TestClient) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Operations") :]
    named = set(re.findall(r"^\| `(identity_graph_\w+)` \|", section, re.MULTILINE))
    assert len(named) == 6
    text = sqlite_client.get("/metrics").text
    families = {f.name for f in text_string_to_metric_families(text)}  # counters: no _total
    assert {name.removesuffix("_total") for name in named} <= families


def test_a_body_over_the_limit_is_logged_and_counted_too(
    sqlite_store: SQLiteStore, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        service_factory=lambda: IdentityService(sqlite_store, Settings()), max_body_bytes=2_000
    )
    caplog.set_level(logging.INFO)
    body = {"batch": [login(f"u-{i}", f"c-{i}", email=f"big{i}.{SECRET}") for i in range(40)]}
    with TestClient(app) as c:
        r = c.post("/v1/batch", json=body, headers={**admin, "X-Request-ID": "big-1"})
        assert r.status_code == 413 and r.headers["x-request-id"] == "big-1"
        text = c.get("/metrics").text
    (line,) = [x for x in _json_lines(caplog) if x["request_id"] == "big-1"]
    assert line["status"] == 413 and line["method"] == "POST"
    assert SECRET not in json.dumps(_json_lines(caplog))
    assert 'status_class="4xx"' in text
