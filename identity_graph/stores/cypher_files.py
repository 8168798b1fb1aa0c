"""Named Cypher: every query the Neo4j store runs is a file `identity_graph/cypher/NAME.cypher`.

Query text is package data, never built from input; values are always parameters.
`query("seen_messages")` returns the text of `seen_messages.cypher`; `statements("schema")`
splits a multi-statement file (statements end with `;` at the end of a line).

Relationship types and labels cannot be parameters, so the few queries that differ only by
one are templates (`%%kind%%`, `%%target%%` markers): `template("add_activity",
kind="PURCHASED", target="Product")` fills them from the closed sets below, each name
checked and escaped (`query.cypher_name`), anything else refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import LiteralString

from identity_graph.errors import StoreError
from identity_graph.stores.query import cypher_name, expand

__all__ = [
    "ACTIVITY_TARGETS",
    "LINEAGE_KINDS",
    "TEMPLATES",
    "Query",
    "instances",
    "names",
    "query",
    "statements",
    "template",
]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PACKAGE = "identity_graph.cypher"

#: Activity relationship type -> the label of its target.
ACTIVITY_TARGETS: Mapping[str, str] = {
    "PURCHASED": "Product",
    "VIEWED": "Product",
    "EXPOSED_TO": "Campaign",
    "OPENED_CASE": "Case",
    "CLOSED_CASE": "Case",
}
LINEAGE_KINDS: tuple[str, ...] = ("MERGED_INTO", "SPLIT_FROM")
_ACTIVITY = [{"kind": k, "target": t} for k, t in ACTIVITY_TARGETS.items()]
_LINEAGE = [{"kind": k} for k in LINEAGE_KINDS]
#: Template file -> every allowed filling of its markers.
TEMPLATES: Mapping[str, list[dict[str, str]]] = {
    "add_activity": _ACTIVITY,
    "import_activity": _ACTIVITY,
    "add_lineage": _LINEAGE,
    "import_lineage": _LINEAGE,
}


@dataclass(frozen=True, slots=True)
class Query:
    """One named Cypher statement: `name` identifies it in errors and logs (never values)."""

    name: str
    text: LiteralString


def _package_text(text: str) -> LiteralString:
    """Query text from package data, not input: what LiteralString stands for in the
    driver's types (mypy treats LiteralString as str, so no cast is needed here)."""
    return text


def _file(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise StoreError(f"not a Cypher query name: {name!r}")
    path = resources.files(_PACKAGE).joinpath(f"{name}.cypher")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(
            f"no Cypher query {name!r} (expected identity_graph/cypher/{name}.cypher)"
        ) from None


@cache
def query(name: str) -> Query:
    """The one statement of `NAME.cypher`."""
    if name in TEMPLATES:
        raise StoreError(f"Cypher query {name!r} is a template: use template()")
    text = _file(name).strip()
    return Query(name, _package_text(text))


@cache
def template(name: str, **fill: str) -> Query:
    """A template's statement for one filling from its closed set (see `TEMPLATES`)."""
    allowed = TEMPLATES.get(name)
    if allowed is None or fill not in allowed:
        raise StoreError(f"no Cypher template {name!r} for {sorted(fill.values())}")
    words = set(ACTIVITY_TARGETS) | set(ACTIVITY_TARGETS.values()) | set(LINEAGE_KINDS)
    names = {marker: cypher_name(value, words) for marker, value in fill.items()}
    st = expand(name, _file(name).strip(), names=names)
    label = ",".join(fill[k] for k in sorted(fill))
    return Query(f"{name}[{label}]", _package_text(st.text))


@cache
def statements(name: str) -> tuple[Query, ...]:
    """The statements of a multi-statement file such as `schema.cypher`, in order."""
    parts = re.split(r";[ \t]*$", _file(name), flags=re.MULTILINE)
    out: list[Query] = []
    for part in parts:
        code = "\n".join(
            line
            for line in part.splitlines()
            if line.strip() and not line.lstrip().startswith("//")
        )
        if code:
            out.append(Query(f"{name}[{len(out)}]", _package_text(code)))
    return tuple(out)


def names() -> list[str]:
    """Every fixed query file shipped with the package (tests EXPLAIN each of them)."""
    directory = resources.files(_PACKAGE)
    return sorted(
        entry.name.removesuffix(".cypher")
        for entry in directory.iterdir()
        if entry.name.endswith(".cypher") and entry.name.removesuffix(".cypher") not in TEMPLATES
    )


def instances() -> list[tuple[str, Query]]:
    """Every statement the templates can produce, with its template's name."""
    return [(name, template(name, **fill)) for name, fills in TEMPLATES.items() for fill in fills]
