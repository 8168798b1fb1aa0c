"""The FastAPI application. The store is built in the lifespan, not at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from identity_graph.api import errors, observability
from identity_graph.api.auth import authorize, document_security
from identity_graph.api.bodies import BodyLimit
from identity_graph.api.fastpath import LookupFastPath
from identity_graph.api.routes import (
    audit,
    batch,
    consent,
    destinations,
    docs,
    erasure,
    explain,
    guides,
    health,
    identifiers,
    lifecycle,
    persons,
    review,
    segments,
    stats,
)
from identity_graph.api.schemas import BAD_BODY
from identity_graph.collector import freeze_long_lived
from identity_graph.service.identity import IdentityService

log = logging.getLogger("identity_graph.api")


def create_app(
    store_url: str | None = None,
    config_path: Path | None = None,
    service_factory: Callable[[], IdentityService] | None = None,
    max_body_bytes: int | None = None,
    lookup_fast_path: bool = True,
    freeze_heap: bool = False,
) -> FastAPI:
    """`service_factory` builds the service when the app starts (`identity-graph serve`
    hands one over). Without it the app builds one from `store_url` and `config_path`,
    where not given from the IDENTITY_GRAPH_* variables (uvicorn workers, docker), as it
    reads `max_body_bytes` (the request body limit) from IDENTITY_GRAPH_MAX_BODY_BYTES.
    `lookup_fast_path=False` leaves the profile lookups to FastAPI (api/fastpath.py); the
    tests compare the two. `freeze_heap` (what `serve` runs) keeps the objects alive once
    the service is built out of the cyclic collector's walks (`collector.freeze_long_lived`):
    for a process that only serves, not for one that builds many apps, as tests do."""

    def build() -> IdentityService:
        if service_factory is not None:
            return service_factory()
        # The environment is read at the edge only (identity_graph.cli.runtime).
        from identity_graph.cli.runtime import build_service, runtime_settings

        runtime = runtime_settings()
        return build_service(store_url or runtime.store, config_path or runtime.config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = build()
        app.state.service = service
        if freeze_heap:
            freeze_long_lived()
        observability.watch_write_queue(lambda: service.store.writes_waiting)
        log.info("serving %s (docs at /docs)", service.store_url)
        try:
            yield
        finally:
            observability.watch_write_queue(None)
            service.close()
            observability.worker_exit()

    app = FastAPI(
        title="identity-graph",
        version="0.1.0",
        description="Persons, not devices: profiles resolved from an identity graph.",
        lifespan=lifespan,
        # Every route, before its handler (rules: identity_graph/security/rules.py); a body
        # FastAPI cannot parse is answered after the same check (errors._denied).
        dependencies=[Depends(authorize)],
        # Served from packaged files instead of a CDN (api/routes/docs.py).
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    document_security(app)
    if max_body_bytes is None:
        from identity_graph.cli.runtime import runtime_settings

        max_body_bytes = runtime_settings().max_body_bytes
    # Middleware added later wraps what was added before. Observability is outermost, so a
    # 413 of the body limit gets its request ID, log line and count too; RouteTap, innermost,
    # shows it the matched route. The lookup fast path, inside it, sets that route too.
    if lookup_fast_path:
        app.add_middleware(LookupFastPath, fastapi_app=app)
    app.add_middleware(observability.RouteTap)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(observability.Observability)
    for resource in (
        batch,
        persons,
        consent,
        erasure,
        identifiers,
        segments,
        destinations,
        stats,
        review,
        audit,
        explain,
        lifecycle,
    ):
        app.include_router(resource.router, responses={**BAD_BODY, **errors.VALIDATION_RESPONSE})
    # Neo4j Browser guides: the only routes with CORS (any origin, GET), see guides.py.
    app.include_router(guides.router)
    app.include_router(health.router)
    docs.install(app)
    return app


def served_app() -> FastAPI:
    """The app as `identity-graph serve --workers N` runs it in each worker (settings from
    the IDENTITY_GRAPH_* variables)."""
    return create_app(freeze_heap=True)
