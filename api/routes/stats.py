from __future__ import annotations

from fastapi import APIRouter

from identity_graph.api.deps import ServiceDep
from identity_graph.views import StoreStats

router = APIRouter(prefix="/v1/stats", tags=["persons", "health"])


@router.get("", response_model=StoreStats)
def get_stats(service: ServiceDep) -> StoreStats:
    return service.stats()
