"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity_graph.service.identity import IdentityService


def service_of(request: Request) -> IdentityService:
    service: IdentityService = request.app.state.service
    return service


async def get_service(request: Request) -> IdentityService:
    # async: FastAPI runs a plain `def` dependency on its thread pool, a hop per request.
    return service_of(request)


ServiceDep = Annotated[IdentityService, Depends(get_service)]
