"""Authentication and authorization of every request, from `security.rules`.

`authorize` is an app-wide dependency: it runs for every route before the body is parsed,
finds the route's rule, authenticates the key and checks the role. Routes that need the
caller (the audit actor) take `CallerDep`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import iter_route_contexts

from identity_graph.api.deps import service_of
from identity_graph.errors import Forbidden, Unauthenticated
from identity_graph.security import rules
from identity_graph.security.keys import Caller, parse_authorization


async def authorize(request: Request) -> None:
    # async, on the event loop: a plain `def` would take a thread-pool hop on every request.
    # A key is checked against a short-lived cache; a miss reads the store (a small read).
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    rule = rules.rule_for(request.method, path) if isinstance(path, str) else None
    if rule is None:
        raise Forbidden("this route has no access rule")
    if rule.public:
        return
    credentials = parse_authorization(request.headers.get("authorization"))
    if credentials is None:
        raise Unauthenticated("an API key is required (Authorization: Bearer KEY)")
    if credentials.scheme == "basic" and not rule.basic:
        raise Unauthenticated("this route takes its API key as a Bearer token")
    caller = service_of(request).keys.authenticate(credentials.key)
    request.state.caller = caller
    rules.check(rule, caller, request.path_params)


def current_caller(request: Request) -> Caller:
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:  # a public route asked for a caller: a bug, refused safely
        raise Unauthenticated("an API key is required (Authorization: Bearer KEY)")
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def document_security(app: FastAPI) -> None:
    """Describe the keys in the OpenAPI document (Swagger UI's Authorize button): every
    operation lists the schemes its rule accepts, public ones none."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "an API key"},
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "ingest routes: the API key as the user name (SDK write keys)",
            },
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                rule = rules.rule_for(method.upper(), _route_path(app, path))
                if rule is None or rule.public:
                    continue
                operation["security"] = [{"bearer": []}, *([{"basic": []}] if rule.basic else [])]
                operation.setdefault("responses", {}).setdefault(
                    "401", {"description": "no API key, or one not valid"}
                )
                operation["responses"].setdefault(
                    "403", {"description": "the key's role or scope does not allow this"}
                )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _route_path(app: FastAPI, openapi_path: str) -> str:
    """The route template of an OpenAPI path (OpenAPI drops `:path` converters)."""
    for route in iter_route_contexts(app.routes):
        if route.path is not None and re.sub(r":[a-z]+\}", "}", route.path) == openapi_path:
            return route.path
    return openapi_path
