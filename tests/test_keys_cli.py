"""`identity-graph keys`: a key is printed once, stored as a digest, and works (or not)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.service.keys import CACHE_SECONDS, ApiKeys
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer

runner = CliRunner()


def keys(*args: str, store: str) -> tuple[int, str]:
    from identity_graph.cli import app

    r = runner.invoke(app, ["keys", *args, "--store", store])
    return r.exit_code, r.output


def test_create_list_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    code, output = keys(
        "create", "--name", "ads", "--role", "exporter", "--segment", "vip", "--json", store=url
    )
    assert code == 0, output
    created = json.loads(output)
    assert created["name"] == "ads" and created["role"] == "exporter"
    key = created["key"]
    assert key.startswith("igk_")
    code, output = keys("create", "--name", "web", "--role", "ingest", store=url)
    assert code == 0 and "shown only this once" in output
    web_key = output.strip().splitlines()[-1]
    assert web_key.startswith("igk_") and web_key != key
    # Only digests are stored: the key itself is nowhere in the file.
    db = sqlite3.connect(tmp_path / "g.db")
    dump = "\n".join(db.iterdump())
    db.close()
    assert key not in dump and web_key not in dump

    code, output = keys("list", "--json", store=url)
    listed = {k["name"]: k for k in json.loads(output)}
    assert listed["ads"]["segments"] == ["vip"] and listed["web"]["revoked_at"] is None
    assert "igk_" not in output and "digest" not in output

    store = SQLiteStore(url)
    service = IdentityService(store, Settings())
    now = [0.0]
    service.keys = ApiKeys(store, clock=lambda: now[0])
    with TestClient(create_app(service_factory=lambda: service)) as c:
        assert c.post("/v1/batch", json={"batch": []}, headers=bearer(web_key)).status_code == 200
        assert c.get("/v1/stats", headers=bearer(web_key)).status_code == 403
        code, output = keys("revoke", "web", store=url)
        assert code == 0 and "revoked" in output
        # Another process revoked it: this server learns once its cached answer expires.
        assert c.post("/v1/batch", json={"batch": []}, headers=bearer(web_key)).status_code == 200
        now[0] += CACHE_SECONDS + 0.1
        assert c.post("/v1/batch", json={"batch": []}, headers=bearer(web_key)).status_code == 401
    audit = [(a.action, a.subject) for a in IdentityService(store, Settings()).audit()]
    assert ("key.revoke", "api_key:web") in audit and ("key.create", "api_key:ads") in audit


def test_bad_keys_requests_are_clear_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    code, output = keys("create", "--name", "x", "--role", "root", store=url)
    assert code == 1 and "role: must be one of reader, ingest, steward, exporter, admin" in output
    code, output = keys("create", "--name", "x", "--role", "exporter", store=url)
    assert code == 1 and "needs at least one segment or destination" in output
    code, output = keys("create", "--name", "x", "--role", "reader", "--segment", "s", store=url)
    assert code == 1 and "only an exporter key" in output
    code, output = keys("create", "--name", "no spaces", "--role", "reader", store=url)
    assert code == 1 and "name: must be 1-64 characters" in output
    assert keys("create", "--name", "x", "--role", "reader", store=url)[0] == 0
    keys("revoke", "x", store=url)
    code, output = keys("create", "--name", "x", "--role", "reader", store=url)
    assert code == 1 and "exists" in output
    code, output = keys("revoke", "nobody", store=url)
    assert code == 1 and "no API key named" in output
