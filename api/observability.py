"""Request IDs, one log line per request and the Prometheus metrics, in one ASGI middleware.

Routes are named by their template (`/v1/identifiers/{type}/{value}/person`), never by
the path that was asked for: paths carry identifiers (personal data), and a label per
path would be unbounded. An exception no handler turned into a response is logged by
type and frames (see `identity_graph.logs`) and answered 500 here, so that uvicorn never
prints it with its message.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from identity_graph.api.errors import error_response
from identity_graph.logs import REQUEST_ID, REQUESTS_LOGGER, stamp_request_ids

log = logging.getLogger(REQUESTS_LOGGER)
errors_log = logging.getLogger("identity_graph.errors")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming ID is kept only if it is a plain token: it goes into every log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "unmatched"  # the route label of a path no route matches (a 404)
# The ingest routes are those of the OpenAPI tag (batch and single events); the lookups
# are the two profile reads (`/v1/stats` shares their tag).
INGEST_TAG = "ingest"
LOOKUP_ROUTES = frozenset({"/v1/persons/{person_id}", "/v1/identifiers/{type}/{value}/person"})
# Set by `identity-graph serve --workers N`: every worker writes its samples there and a
# scrape of any worker adds them up.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "identity_graph_http_requests",
    "HTTP requests answered, by method, route template and status class (2xx, 4xx, 5xx)",
    ["method", "route", "status_class"],
)
INGEST_BATCHES = Counter(
    "identity_graph_ingest_batches", "Ingest requests (batches or single events) accepted"
)
INGEST_EVENTS = Counter("identity_graph_ingest_events", "Events in accepted ingest requests")
BATCH_LATENCY = Histogram(
    "identity_graph_ingest_batch_duration_seconds",
    "Time to answer an ingest request, by route template",
    ["route"],
)
LOOKUP_LATENCY = Histogram(
    "identity_graph_lookup_duration_seconds",
    "Time to answer a profile lookup (by person ID or identifier), by route template",
    ["route"],
)
#: Writes waiting for the store's writer. The write queue sets it (`set`, `inc`/`dec`, or
#: `with WRITE_QUEUE_DEPTH.track_inprogress():` around a wait), or hands a function to
#: `watch_write_queue`; summed over the live workers.
WRITE_QUEUE_DEPTH = Gauge(
    "identity_graph_write_queue_depth",
    "Writes waiting for the store's writer",
    multiprocess_mode="livesum",
)
_queue_depth: Callable[[], int] | None = None


def watch_write_queue(depth: Callable[[], int] | None) -> None:
    """Read the write queue's depth from `depth` after every request and at every scrape."""
    global _queue_depth
    _queue_depth = depth


def _refresh_queue_depth() -> None:
    if _queue_depth is None:
        return
    try:
        WRITE_QUEUE_DEPTH.set(_queue_depth())
    except Exception as exc:  # a metric must never fail the request it follows
        errors_log.error("cannot read the write queue depth", exc_info=exc)


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> tuple[str, tuple[str, ...]]:
    """The matched route's path template (convertors dropped) and its tags."""
    route = scope.get("route")
    if route is None:
        if "app_root_path" in scope:  # a mount matched (FastAPI names no route for it)
            prefix = str(scope.get("root_path", ""))[len(str(scope["app_root_path"])) :]
            return f"{prefix}/{{path}}", ()
        return UNMATCHED, ()
    template = str(getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED))
    if not hasattr(route, "endpoint"):  # a mount (the docs assets): what follows is a file
        template = f"{template}/{{path}}"
    return template, tuple(str(t) for t in getattr(route, "tags", None) or ())


def caller_name(scope: Scope) -> str | None:
    caller = scope.get("state", {}).get("caller")
    name = getattr(caller, "name", None)
    return name if isinstance(name, str) else None


def record_ingest(events: int) -> None:
    """Count an accepted ingest request of `events` events (called by the ingest routes)."""
    INGEST_BATCHES.inc()
    INGEST_EVENTS.inc(events)


# Where `RouteTap` leaves the scope the router saw: middleware between the two may hand
# the app a copy of the scope (the body limit does), and the router names the matched
# route in the scope it is given.
_INNER_SCOPE = "identity_graph.inner_scope"


class RouteTap:
    """The innermost middleware: lets `Observability`, the outermost, read the route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        holder = scope.get(_INNER_SCOPE)
        if isinstance(holder, dict):
            holder["scope"] = scope
        await self.app(scope, receive, send)


class Observability:
    """Pure ASGI (no BaseHTTPMiddleware): streamed exports pass through untouched. The
    outermost middleware, so that whatever answers (a route, the body limit) is counted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        stamp_request_ids()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        holder: dict[str, Scope] = {}
        scope[_INNER_SCOPE] = holder
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = int(message["status"]), True
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            errors_log.exception("unhandled exception")
            if responded:  # too late for a 500: the client sees the connection drop
                raise
            status = 500
            reply = error_response(500, "internal error; the request ID is in the logs")
            await reply(scope, receive, send_with_id)
        finally:
            self._observe(holder.get("scope", scope), status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    @staticmethod
    def _observe(scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        route, tags = route_template(scope)
        REQUESTS.labels(method, route, f"{status // 100}xx").inc()
        if method == "POST" and INGEST_TAG in tags:
            BATCH_LATENCY.labels(route).observe(seconds)
        elif method == "GET" and route in LOOKUP_ROUTES:
            LOOKUP_LATENCY.labels(route).observe(seconds)
        _refresh_queue_depth()
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "caller": caller_name(scope),
        }
        log.log(logging.ERROR if status >= 500 else logging.INFO, "request", extra=fields)


def metrics() -> tuple[bytes, str]:
    """The exposition text and its content type; every worker's samples under several."""
    _refresh_queue_depth()
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exit() -> None:
    """Drop this worker's gauge samples (the queue depth is summed over live workers)."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
