from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/healthz", tags=["health"])


@router.get("")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
