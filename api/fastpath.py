"""The two profile lookups, answered without FastAPI's generic request path.

A lookup is the hottest request the service has, and most of its CPU went to FastAPI
itself: matching the path against every route, solving the dependency tree and building
its request objects cost more than the store's read. `LookupFastPath` is an ASGI
middleware, innermost, that answers `GET /v1/persons/{person_id}` and
`GET /v1/identifiers/{type}/{value}/person` with the routes' own parts, so that it answers
exactly what the routes would:

- the path is matched by the route's own `matches` (its regex and convertors), and only
  where no route before it in the app would match the request first;
- each path parameter is validated against the type the route function declares; a
  request with an invalid one is handed to FastAPI, which answers its 422;
- the app's `authorize` dependency runs on the same scope the router would give it;
- the route function itself answers, given its parameters and the service;
- an error is answered by the app's own exception handler for it, and an error with no
  handler propagates, as from a route.

Everything else goes to FastAPI untouched. `tests/test_lookup_fastpath.py` compares the
answers, byte for byte, with an app that has no fast path.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from identity_graph.api.auth import authorize
from identity_graph.api.deps import service_of
from identity_graph.api.routes import identifiers, persons

# The route functions taken over: each takes its path parameters and `service`.
LOOKUPS: frozenset[Callable[..., Awaitable[Response]]] = frozenset(
    {persons.get_person, identifiers.get_person_by_identifier}
)


@dataclass(frozen=True)
class _Lookup:
    route: APIRoute
    # Routes the router tries first that could take a GET: the path must match none.
    before: tuple[BaseRoute, ...]
    params: dict[str, TypeAdapter[Any]]


def _routes(app: FastAPI) -> list[_Lookup]:
    found: list[_Lookup] = []
    earlier: list[BaseRoute] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.endpoint in LOOKUPS and route.methods == {"GET"}:
            hints = typing.get_type_hints(route.endpoint, include_extras=True)
            params = {name: TypeAdapter(hints[name]) for name in route.param_convertors}
            found.append(_Lookup(route, tuple(earlier), params))
        methods = getattr(route, "methods", None)
        if methods is None or "GET" in methods:
            earlier.append(route)
    if len(found) != len(LOOKUPS):  # a lookup route moved: refuse to guess its path
        raise RuntimeError("the lookup routes were not found in the app")
    return found


def _handler(
    app: FastAPI, exc: Exception
) -> Callable[[Request, Exception], Response | Awaitable[Response]] | None:
    """The app's handler for `exc`, looked up along its classes as Starlette does."""
    for cls in type(exc).__mro__:
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            return handler
    return None


class LookupFastPath:
    """ASGI middleware, added first (innermost): see the module's docstring."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self._lookups: Sequence[_Lookup] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if self._lookups is None:  # the routes are all included once the app serves
            self._lookups = _routes(self.fastapi_app)
        for lookup in self._lookups:
            match, child = lookup.route.matches(scope)
            if match is Match.FULL:
                params = self._valid(lookup, scope, child["path_params"])
                if params is None:
                    break
                scope.update(child)
                await self._answer(lookup, params, scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _valid(lookup: _Lookup, scope: Scope, raw: dict[str, Any]) -> dict[str, Any] | None:
        """The validated path parameters, or None where FastAPI must answer instead."""
        for route in lookup.before:
            if route.matches(scope)[0] is Match.FULL:
                return None
        try:
            return {
                name: adapter.validate_python(raw[name]) for name, adapter in lookup.params.items()
            }
        except ValidationError:
            return None

    async def _answer(
        self, lookup: _Lookup, params: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        try:
            await authorize(request)
            response = await lookup.route.endpoint(**params, service=service_of(request))
        except Exception as exc:
            handler = _handler(self.fastapi_app, exc)
            if handler is None:
                raise
            answered = handler(request, exc)
            response = await answered if inspect.isawaitable(answered) else answered
        await response(scope, receive, send)
