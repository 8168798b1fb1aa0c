"""Neo4j Browser material for stewards: the guide (`:play http://HOST:8000/guides/identity-graph.html`),
the style (`:style http://HOST:8000/guides/style.grass`) and the saved queries as one zip
(dropped onto Browser at once, they become a Favorites folder).

Neo4j Browser fetches a guide and a style cross-origin (from the Browser's own origin, e.g.
http://localhost:7474), so these routes, and only these, answer with CORS headers allowing a
GET from any origin. All of it is static package data: no personal data, no API key. The
guide names the API's own address (the one it was fetched from) wherever a steward runs
or downloads something from it, so its `:style` block and download link work on whatever
host `serve` was reached at.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from fastapi import APIRouter, Request, Response

router = APIRouter(prefix="/guides", tags=["guides"])

_PACKAGE = "identity_graph.cypher"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Max-Age": "86400",
}
#: Where the guide writes the API's address (scheme, host and port, no trailing slash).
API_MARKER = "%%API%%"
#: Used when the request's own address is not a plain `http(s)://host[:port]`.
DEFAULT_API = "http://localhost:8000"
_ORIGIN = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?"
)
#: The Favorites folder the zip's queries land in.
SAVED_FOLDER = "identity-graph"


def _browser() -> Traversable:
    return resources.files(_PACKAGE).joinpath("browser")


@cache
def guide_template() -> str:
    """The steward guide shipped in the package (`identity_graph/cypher/browser/guide.html`),
    with `%%API%%` where the API's address goes."""
    return _browser().joinpath("guide.html").read_text(encoding="utf-8")


def guide_html(api: str) -> str:
    """The guide for an API reached at `api` (`http://127.0.0.1:8000`)."""
    return guide_template().replace(API_MARKER, html.escape(api, quote=True))


def api_origin(request: Request) -> str:
    """The address the caller reached this API at, if it is a plain origin."""
    origin = str(request.base_url).rstrip("/")
    return origin if _ORIGIN.fullmatch(origin) else DEFAULT_API


@cache
def style_grass() -> str:
    return _browser().joinpath("style.grass").read_text(encoding="utf-8")


@cache
def saved_queries() -> dict[str, str]:
    """`name` -> text of every saved query (`browser/saved/NAME.cypher`), by name."""
    folder = _browser().joinpath("saved")
    entries = sorted(
        (e for e in folder.iterdir() if e.name.endswith(".cypher")), key=lambda e: e.name
    )
    return {e.name.removesuffix(".cypher"): e.read_text(encoding="utf-8") for e in entries}


@cache
def saved_queries_zip() -> bytes:
    """Every saved query as `identity-graph/NAME.cypher` in one zip: Browser 5 takes a
    dropped zip's .cypher files as favorites, in a folder named after their directory
    (a drop of several files at once it ignores). Same bytes on every call."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in saved_queries().items():
            entry = zipfile.ZipInfo(f"{SAVED_FOLDER}/{name}.cypher", (2025, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text)
    return buffer.getvalue()


@router.get("/identity-graph.html", response_class=Response)
def identity_graph_guide(request: Request) -> Response:
    """The Neo4j Browser guide for data stewards (HTML slides with runnable Cypher)."""
    return Response(
        guide_html(api_origin(request)),
        media_type="text/html; charset=utf-8",
        headers={**_CORS, "Cache-Control": "no-cache"},
    )


@router.get("/style.grass", response_class=Response)
def identity_graph_style() -> Response:
    """Neo4j Browser style for the graph (`:style http://HOST:8000/guides/style.grass`)."""
    return Response(
        style_grass(),
        media_type="text/plain; charset=utf-8",
        headers={**_CORS, "Cache-Control": "no-cache"},
    )


@router.get("/saved-queries.zip", response_class=Response)
def identity_graph_saved_queries() -> Response:
    """The steward's saved queries in one zip, to drop onto Neo4j Browser at once."""
    return Response(
        saved_queries_zip(),
        media_type="application/zip",
        headers={
            **_CORS,
            "Content-Disposition": 'attachment; filename="identity-graph-queries.zip"',
        },
    )


@router.options("/identity-graph.html", include_in_schema=False)
@router.options("/style.grass", include_in_schema=False)
def identity_graph_guide_preflight() -> Response:
    """CORS preflight, should a Browser send one (a plain GET needs none)."""
    return Response(status_code=204, headers=_CORS)
