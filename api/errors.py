"""Errors of the core, translated to HTTP at the boundary."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from identity_graph.api.schemas import ErrorOut, ItemProblem
from identity_graph.errors import (
    BatchRejected,
    Busy,
    ConfigError,
    ConflictError,
    Forbidden,
    IdentityGraphError,
    InvalidValue,
    NotFoundError,
    SegmentError,
    StoreError,
    Unauthenticated,
)


def _reply(status: int, body: ErrorOut) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump())


async def _busy(_: Request, exc: Exception) -> JSONResponse:
    """A write that did not get its turn in time: 503 and when to try again, never a hang.
    The store's own message names its file or host; clients get none of it."""
    seconds = exc.retry_after if isinstance(exc, Busy) else 1
    detail = f"the store is busy; nothing was written, retry in {seconds} s"
    reply = _reply(503, ErrorOut(detail=detail))
    reply.headers["Retry-After"] = str(seconds)
    return reply


def install(app: FastAPI) -> None:
    app.add_exception_handler(Busy, _busy)

    @app.exception_handler(BatchRejected)
    async def batch_rejected(_: Request, exc: BatchRejected) -> JSONResponse:
        problems = [
            ItemProblem(position=e.position, field=e.field, reason=e.reason) for e in exc.errors
        ]
        detail = f"batch rejected: {len(exc.errors)} bad item(s); nothing was written"
        return _reply(400, ErrorOut(detail=detail, errors=problems))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            position = None
            if len(loc) >= 3 and loc[:2] == ["body", "batch"] and loc[2].isdigit():
                position, loc = int(loc[2]), loc[3:]
            else:
                loc = loc[1:] if loc and loc[0] in ("body", "path", "query") else loc
            problems.append(
                ItemProblem(position=position, field=".".join(loc) or "body", reason=err["msg"])
            )
        return _reply(422, ErrorOut(detail="invalid request", errors=problems))

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        response = _reply(401, ErrorOut(detail=str(exc)))
        response.headers["WWW-Authenticate"] = 'Bearer realm="identity-graph"'
        return response

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _reply(403, ErrorOut(detail=str(exc)))

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _reply(404, ErrorOut(detail=str(exc)))

    @app.exception_handler(ConflictError)
    async def conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return _reply(409, ErrorOut(detail=str(exc)))

    @app.exception_handler(SegmentError)
    async def invalid_segment(_: Request, exc: SegmentError) -> JSONResponse:
        field = f"definition.{exc.path}" if exc.path else "definition"
        problems = [ItemProblem(position=None, field=field, reason=str(exc))]
        return _reply(422, ErrorOut(detail=str(exc), errors=problems))

    @app.exception_handler(InvalidValue)
    async def invalid_value(_: Request, exc: InvalidValue) -> JSONResponse:
        return _reply(422, ErrorOut(detail=str(exc)))

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        # The query text may hold identifiers (personal data): never echo it to clients.
        return _reply(503, ErrorOut(detail="the store is unavailable; try again"))

    @app.exception_handler(ConfigError)
    async def config_error(_: Request, exc: ConfigError) -> JSONResponse:
        return _reply(500, ErrorOut(detail=str(exc)))

    @app.exception_handler(IdentityGraphError)
    async def other(_: Request, exc: IdentityGraphError) -> JSONResponse:
        return _reply(400, ErrorOut(detail=str(exc)))
