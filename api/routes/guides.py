"""Neo4j Browser guides, for `:play http://HOST:8000/guides/identity-graph.html`.

Neo4j Browser fetches a guide cross-origin (from the Browser's own origin, e.g.
http://localhost:7474), so these routes, and only these, answer with CORS headers allowing a
GET from any origin. A guide is static package data: no personal data, no API key.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Response

router = APIRouter(prefix="/guides", tags=["guides"])

_GUIDE_PACKAGE = "identity_graph.cypher"
_GUIDE_PATH = ("browser", "guide.html")
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "86400",
}


@cache
def guide_html() -> str:
    """The steward guide shipped in the package (`identity_graph/cypher/browser/guide.html`)."""
    return resources.files(_GUIDE_PACKAGE).joinpath(*_GUIDE_PATH).read_text(encoding="utf-8")


@router.get("/identity-graph.html", response_class=Response)
def identity_graph_guide() -> Response:
    """The Neo4j Browser guide for data stewards (HTML slides with runnable Cypher)."""
    return Response(
        guide_html(),
        media_type="text/html; charset=utf-8",
        headers={**_CORS, "Cache-Control": "no-cache"},
    )


@router.options("/identity-graph.html", include_in_schema=False)
def identity_graph_guide_preflight() -> Response:
    """CORS preflight, should a Browser send one (a plain GET needs none)."""
    return Response(status_code=204, headers=_CORS)
