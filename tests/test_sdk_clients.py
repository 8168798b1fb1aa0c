"""The official Segment and RudderStack Python SDKs against a live `identity-graph serve`.

Each SDK is driven as its README shows (a client with a write key and our URL as host;
identify, track, page, screen, group, alias; flush), and every event must be in the store
afterwards. A bad event must come back as a 400 that the SDK reports through `on_error` as
its APIError (rudder-sdk-python raised `KeyError: 'code'` on a body without `code`, and
retried it), sent once and never retried; so must a wrong write key (401). A 503 (the
store down) must be retried by both until the event lands. The write key is an `ingest`
key made with `identity-graph keys create`, sent by both SDKs as the HTTP Basic user.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import rudderstack.analytics.client as rudder_client
import rudderstack.analytics.request as rudder_request
import segment.analytics.client as segment_client
import segment.analytics.request as segment_request

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.errors import StoreError
from identity_graph.service.identity import IdentityService
from identity_graph.service.views import BatchResult
from identity_graph.stores import open_store
from tests.helpers import issue_key
from tests.live_server import create_key, free_port
from tests.logged_server import live_server


@dataclass
class Server:
    url: str
    store_url: str
    write_key: str  # an ingest key, the SDKs' write key
    reader_key: str

    def lookup(self, user_id: str) -> requests.Response:
        return requests.get(
            f"{self.url}/v1/identifiers/customer_id/{user_id}/person",
            headers={"Authorization": f"Bearer {self.reader_key}"},
            timeout=10,
        )

    def person(self, user_id: str) -> dict[str, Any]:
        r = self.lookup(user_id)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def seen(self, message_ids: list[str]) -> set[str]:
        store = open_store(self.store_url)
        try:
            with store.reader() as r:
                return r.seen_messages(message_ids)
        finally:
            store.close()


def wait_until_up(url: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert alive(), "the server exited"
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "the server did not come up in 60 s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`identity-graph serve` of this worktree's code on a fresh SQLite file."""
    tmp = tmp_path_factory.mktemp("sdk")
    store_url = f"sqlite:///{tmp / 'sdk.db'}"

    keys = create_key(store_url, "ingest"), create_key(store_url, "reader")
    with live_server(store_url, tmp) as live:
        yield Server(live.url, store_url, *keys)


@dataclass
class Wire:
    """Every HTTP attempt an SDK makes (status, Content-Encoding), seen at its session."""

    attempts: list[tuple[int, str | None]] = field(default_factory=list)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    seen = Wire()
    for module in (segment_request, rudder_request):
        session = module._session
        original = session.post

        def post(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
            res = _original(*args, **kwargs)
            seen.attempts.append((res.status_code, kwargs["headers"].get("Content-Encoding")))
            return res

        monkeypatch.setattr(session, "post", post)
    return seen


@dataclass
class Sdk:
    name: str
    client: type[Any]
    api_error: type[Exception]
    options: dict[str, Any]


SEGMENT = (segment_client.Client, segment_request.APIError)
RUDDER = (rudder_client.Client, rudder_request.APIError)
SDKS = [
    pytest.param(Sdk("segment", *SEGMENT, {"gzip": False}), id="segment"),
    pytest.param(Sdk("segment-gzip", *SEGMENT, {"gzip": True}), id="segment-gzip"),
    # gzip is rudder-sdk-python's default: left as it is.
    pytest.param(Sdk("rudder", *RUDDER, {}), id="rudder"),
]


def make_client(
    sdk: Sdk,
    server: Server,
    errors: list[tuple[Exception, list[Any]]],
    write_key: str | None = None,
) -> Any:
    return sdk.client(
        write_key or server.write_key,
        host=server.url,
        on_error=lambda exc, batch: errors.append((exc, batch)),
        # Bounded, so that a retry loop fails this test rather than hanging it.
        max_retries=2,
        **sdk.options,
    )


@pytest.mark.parametrize("sdk", SDKS)
def test_every_event_of_the_sdk_is_ingested(server: Server, wire: Wire, sdk: Sdk) -> None:
    user = f"{sdk.name}-{uuid.uuid4().hex[:8]}"
    errors: list[tuple[Exception, list[Any]]] = []
    client = make_client(sdk, server, errors)
    sent = [
        client.identify(
            user, {"email": f"{user}@example.com", "name": "Anna"}, anonymous_id=f"{user}-c1"
        ),
        client.track(
            user,
            "Order Completed",
            {"products": [{"product_id": "sku-1", "price": 20, "quantity": 2}]},
        ),
        client.page(user, "Docs", "Home", anonymous_id=f"{user}-c2"),
        client.screen(user, "App", "Cart", context={"device": {"id": f"{user}-dev"}}),
        client.group(user, "company-1", {"name": "Acme"}, anonymous_id=f"{user}-c3"),
        client.alias(f"{user}-c4", user),
    ]
    client.flush()
    client.join()
    assert errors == []
    assert all(ok for ok, _ in sent)
    assert wire.attempts and {status for status, _ in wire.attempts} == {200}
    expected_encoding = None if sdk.options.get("gzip") is False else "gzip"
    assert {encoding for _, encoding in wire.attempts} == {expected_encoding}

    message_ids = [msg["messageId"] for _, msg in sent]
    assert server.seen(message_ids) == set(message_ids)
    person = server.person(user)
    assert {i["key"] for i in person["identifiers"]} == {
        f"customer_id:{user}",
        f"email:{user}@example.com",
        f"cookie:{user}-c1",
        f"cookie:{user}-c2",
        f"cookie:{user}-c3",
        f"cookie:{user}-c4",
        f"device_id:{user.upper()}-DEV",
    }
    assert person["activity"]["purchases"] == 1
    assert person["activity"]["purchase_amount"] == 40.0


@pytest.mark.parametrize("sdk", SDKS)
def test_a_bad_event_is_reported_once_and_not_retried(server: Server, wire: Wire, sdk: Sdk) -> None:
    user = f"{sdk.name}-{uuid.uuid4().hex[:8]}"
    errors: list[tuple[Exception, list[Any]]] = []
    client = make_client(sdk, server, errors)
    client.identify(user, anonymous_id=f"{user}-c1")
    client.identify(user, {"email": "not-an-email@"})
    client.flush()
    client.join()

    assert wire.attempts == [(400, wire.attempts[0][1])], "sent once, never retried"
    ((exc, batch),) = errors
    assert isinstance(exc, sdk.api_error), repr(exc)
    assert exc.status == 400 and exc.code == "invalid_request"  # type: ignore[attr-defined]
    # What the SDK logs ("error uploading: ...") names the item and the field.
    assert "item 1: traits.email" in str(exc)
    assert "not-an-email" not in str(exc)
    assert len(batch) == 2
    # The batch is atomic: its good event was not written either.
    assert server.lookup(user).status_code == 404


@pytest.mark.parametrize("sdk", SDKS)
def test_a_wrong_write_key_is_reported_once_as_a_401(server: Server, wire: Wire, sdk: Sdk) -> None:
    user = f"{sdk.name}-{uuid.uuid4().hex[:8]}"
    errors: list[tuple[Exception, list[Any]]] = []
    client = make_client(sdk, server, errors, write_key="igk_" + "x" * 43)
    client.identify(user, anonymous_id=f"{user}-c1")
    client.flush()
    client.join()
    assert [status for status, _ in wire.attempts] == [401], "sent once, never retried"
    ((exc, _),) = errors
    assert isinstance(exc, sdk.api_error), repr(exc)
    assert exc.status == 401 and exc.code == "unauthorized"  # type: ignore[attr-defined]
    assert "not valid" in str(exc)
    assert server.lookup(user).status_code == 404


class OutageService(IdentityService):
    """Its store fails the first `failures` batches: an outage that passes."""

    def __init__(self, store_url: str, failures: int) -> None:
        super().__init__(open_store(store_url), Settings())
        self.failures = failures

    def ingest_batch(self, events: Sequence[object]) -> BatchResult:
        if self.failures > 0:
            self.failures -= 1
            raise StoreError("store unavailable")
        return super().ingest_batch(events)


@pytest.fixture
def outage_server(tmp_path: Path) -> Iterator[Server]:
    """The app under uvicorn in this process, its store down for the first batch."""
    import uvicorn

    store_url = f"sqlite:///{tmp_path / 'outage.db'}"
    store = open_store(store_url)
    keys = issue_key(store, "ingest"), issue_key(store, "reader")
    store.close()
    app = create_app(service_factory=lambda: OutageService(store_url, failures=1))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, thread.is_alive)
        yield Server(url, store_url, *keys)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.mark.parametrize("sdk", SDKS)
def test_a_503_is_retried_until_the_event_lands(
    outage_server: Server, wire: Wire, sdk: Sdk
) -> None:
    user = f"{sdk.name}-{uuid.uuid4().hex[:8]}"
    errors: list[tuple[Exception, list[Any]]] = []
    client = make_client(sdk, outage_server, errors)
    _, msg = client.identify(user, anonymous_id=f"{user}-c1")
    client.flush()
    client.join()
    assert [status for status, _ in wire.attempts] == [503, 200]
    assert errors == []
    assert outage_server.seen([msg["messageId"]]) == {msg["messageId"]}
    assert {i["key"] for i in outage_server.person(user)["identifiers"]} == {
        f"customer_id:{user}",
        f"cookie:{user}-c1",
    }
