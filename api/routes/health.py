"""Probes and metrics, open to anyone who can reach the port (no key): `/healthz` says the
process answers, `/readyz` that the store does too, `/metrics` is Prometheus' text."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from identity_graph.api import observability
from identity_graph.api.deps import ServiceDep
from identity_graph.api.schemas import ErrorOut

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process serves requests (a restart is the cure when it does not)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"model": ErrorOut, "description": "the store does not answer"}},
)
def readyz(service: ServiceDep) -> dict[str, str]:
    """Ready: the store answers a trivial read (else 503, like any request the store fails;
    a load balancer stops sending traffic until it answers again)."""
    service.ping()
    return {"status": "ready"}


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    body, content_type = observability.metrics()
    return Response(body, media_type=content_type)
