"""The FastAPI application. The store is built in the lifespan, not at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from identity_graph.api import errors
from identity_graph.api.auth import authorize, document_security
from identity_graph.api.routes import (
    audit,
    batch,
    destinations,
    explain,
    guides,
    health,
    identifiers,
    persons,
    review,
    segments,
    stats,
)
from identity_graph.service.identity import IdentityService


def create_app(
    store_url: str | None = None,
    config_path: Path | None = None,
    service_factory: Callable[[], IdentityService] | None = None,
) -> FastAPI:
    """`service_factory` builds the service when the app starts (`identity-graph serve`
    hands one over). Without it the app builds one from `store_url` and `config_path`,
    where not given from the IDENTITY_GRAPH_* variables (uvicorn workers, docker)."""

    def build() -> IdentityService:
        if service_factory is not None:
            return service_factory()
        # The environment is read at the edge only (identity_graph.cli.runtime).
        from identity_graph.cli.runtime import RuntimeSettings, build_service

        runtime = RuntimeSettings()
        return build_service(store_url or runtime.store, config_path or runtime.config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = build()
        app.state.service = service
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="identity-graph",
        version="0.1.0",
        description="Persons, not devices: profiles resolved from an identity graph.",
        lifespan=lifespan,
        # Every route, before its body is parsed: see identity_graph/security/rules.py.
        dependencies=[Depends(authorize)],
    )
    errors.install(app)
    document_security(app)
    for resource in (
        batch,
        persons,
        identifiers,
        segments,
        destinations,
        stats,
        review,
        audit,
        explain,
    ):
        app.include_router(resource.router)
    # Neo4j Browser guides: the only routes with CORS (any origin, GET), see guides.py.
    app.include_router(guides.router)
    app.include_router(health.router)
    return app
