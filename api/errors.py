"""Errors of the core, translated to HTTP at the boundary.

Every error body has one shape, `ErrorOut`: Segment's `code` and `message` (what the
Segment and RudderStack SDKs read and report) beside our `detail` and `errors`. The codes
follow the status (`CODES`). Statuses are chosen for how those SDKs retry: any 4xx but 408,
410, 429 and 460 is final (a bad batch is reported once, never resent), a 5xx is retried
with backoff, so a 5xx must only ever mean "try again later".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from identity_graph.api.auth import authorize
from identity_graph.api.schemas import MAX_BATCH_ITEMS, ErrorOut, GoneOut, ItemProblem
from identity_graph.errors import (
    BatchRejected,
    Busy,
    ConfigError,
    ConflictError,
    Forbidden,
    GoneError,
    IdentityGraphError,
    InvalidField,
    InvalidValue,
    NotFoundError,
    SegmentError,
    StoreError,
    TooLarge,
    Unauthenticated,
)

log = logging.getLogger("identity_graph.errors")


CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_encoding",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
# Documented on every route in place of FastAPI's own 422 body (a list under `detail`),
# which the handler below never sends.
VALIDATION_RESPONSE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "the body, path or query failed validation"}
}
# How many problems the one-line `message` lists (all of them are in `errors`).
_MESSAGE_PROBLEMS = 5


def code_for(status: int) -> str:
    return CODES.get(status, "invalid_request" if status < 500 else "server_error")


def complete(status: int, body: ErrorOut) -> ErrorOut:
    """`body` with `code` and `message` filled in where left empty."""
    if body.code and body.message:
        return body
    message = body.message or body.detail
    if not body.message and body.errors:
        shown = "; ".join(str(p) for p in body.errors[:_MESSAGE_PROBLEMS])
        more = len(body.errors) - _MESSAGE_PROBLEMS
        message = f"{message}: {shown}" + (f" (+{more} more)" if more > 0 else "")
    return body.model_copy(update={"code": body.code or code_for(status), "message": message})


def error_response(
    status: int,
    detail: str,
    errors: Sequence[ItemProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error body as a response: for code outside the exception handlers (ASGI
    middleware answers before FastAPI runs)."""
    return _reply(status, ErrorOut(detail=detail, errors=list(errors)), headers)


def _reply(status: int, body: ErrorOut, headers: Mapping[str, str] | None = None) -> JSONResponse:
    content = complete(status, body).model_dump()
    return JSONResponse(status_code=status, content=content, headers=headers)


def _unauthenticated(exc: Unauthenticated) -> JSONResponse:
    return _reply(
        401, ErrorOut(detail=str(exc)), {"WWW-Authenticate": 'Bearer realm="identity-graph"'}
    )


async def _denied(request: Request) -> JSONResponse | None:
    """FastAPI parses a JSON body before the app's dependencies run, so a body that is not
    JSON is refused before `authorize` has looked at the key: a caller without a valid key
    is told that (401/403), never what is wrong with the body."""
    if getattr(request.state, "caller", None) is not None or "route" not in request.scope:
        return None
    try:
        await authorize(request)
    except Unauthenticated as exc:
        return _unauthenticated(exc)
    except Forbidden as exc:
        return _reply(403, ErrorOut(detail=str(exc)))
    return None


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
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if denied := await _denied(request):
            return denied
        problems = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            if loc == ["body", "batch"] and err.get("type") == "too_long":
                # Too many items is a size limit like the body's (api/bodies.py): 413.
                reason = f"more than {MAX_BATCH_ITEMS} items; send smaller batches"
                too_many = [ItemProblem(position=None, field="batch", reason=reason)]
                return _reply(413, ErrorOut(detail="batch too large", errors=too_many))
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
        return _unauthenticated(exc)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return _reply(403, ErrorOut(detail=str(exc)))

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _reply(404, ErrorOut(detail=str(exc)))

    @app.exception_handler(GoneError)
    async def gone(_: Request, exc: GoneError) -> JSONResponse:
        body = GoneOut(
            detail=str(exc),
            person_id=exc.person_id,
            lineage=exc.lineage,
            split_from=exc.split_from,
            split_into=exc.split_into,
        )
        return JSONResponse(status_code=410, content=complete(410, body).model_dump(mode="json"))

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
        if isinstance(exc, InvalidField):
            problems = [ItemProblem(position=None, field=exc.field, reason=exc.reason)]
            return _reply(422, ErrorOut(detail=str(exc), errors=problems))
        return _reply(422, ErrorOut(detail=str(exc)))

    @app.exception_handler(TooLarge)
    async def too_large(_: Request, exc: TooLarge) -> JSONResponse:
        # Final, not 503: the same batch would fail again (Segment's SDKs retry a 5xx).
        log.error("store error", exc_info=exc)
        return _reply(
            413,
            ErrorOut(
                detail="the batch needs more memory than the store allows; "
                "send it in smaller batches"
            ),
        )

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        # The query text may hold identifiers (personal data): never echo it to clients.
        # The log shows its type and frames only (identity_graph.logs).
        log.error("store error", exc_info=exc)
        return _reply(503, ErrorOut(detail="the store is unavailable; try again"))

    @app.exception_handler(ConfigError)
    async def config_error(_: Request, exc: ConfigError) -> JSONResponse:
        return _reply(500, ErrorOut(detail=str(exc)))

    @app.exception_handler(IdentityGraphError)
    async def other(_: Request, exc: IdentityGraphError) -> JSONResponse:
        return _reply(400, ErrorOut(detail=str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (no such route: 404, wrong method: 405) and any
        # HTTPException a route or dependency raises, in the one error shape; FastAPI's 400
        # for a body it cannot parse comes before the key is checked (see `_denied`).
        if exc.status_code == 400 and (denied := await _denied(request)):
            return denied
        return _reply(exc.status_code, ErrorOut(detail=str(exc.detail)), exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: a 500 that the SDKs retry. The exception's text may hold
        # personal data, so it stays out of the body (the server log has the traceback).
        return _reply(500, ErrorOut(detail="internal error"))
