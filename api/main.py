"""The FastAPI application. The store is built in the lifespan, not at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from identity_graph.api import errors
from identity_graph.api.routes import batch, explain, guides, persons, review
from identity_graph.cli.runtime import RuntimeSettings, build_service
from identity_graph.service.identity import IdentityService


def create_app(
    store_url: str | None = None,
    config_path: Path | None = None,
    service_factory: Callable[[], IdentityService] | None = None,
) -> FastAPI:
    """Without arguments the store URL and settings file come from IDENTITY_GRAPH_* variables."""

    def build() -> IdentityService:
        if service_factory is not None:
            return service_factory()
        runtime = RuntimeSettings()
        return build_service(store_url or runtime.store, config_path or runtime.config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = build()
        app.state.service = service
        try:
            yield
        finally:
            service.store.close()

    app = FastAPI(
        title="identity-graph",
        version="0.1.0",
        description="Persons, not devices: profiles resolved from an identity graph.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(batch.router)
    app.include_router(persons.router)
    app.include_router(review.router)
    app.include_router(explain.router)
    # Neo4j Browser guides: the only routes with CORS (any origin, GET), see guides.py.
    app.include_router(guides.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
