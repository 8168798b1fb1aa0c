"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity_graph.service.identity import IdentityService


def get_service(request: Request) -> IdentityService:
    service: IdentityService = request.app.state.service
    return service


ServiceDep = Annotated[IdentityService, Depends(get_service)]
