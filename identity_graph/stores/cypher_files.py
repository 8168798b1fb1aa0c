"""Named Cypher: every query the Neo4j store runs is a file `identity_graph/cypher/NAME.cypher`.

Query text is fixed (package data, never built from input); values are always parameters.
`query("seen_messages")` returns the text of `seen_messages.cypher`; `statements("schema")`
splits a multi-statement file (statements end with `;` at the end of a line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import LiteralString, cast

from identity_graph.errors import StoreError

__all__ = ["Query", "names", "query", "statements"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PACKAGE = "identity_graph.cypher"


@dataclass(frozen=True, slots=True)
class Query:
    """One named Cypher statement: `name` identifies it in errors and logs (never values)."""

    name: str
    text: LiteralString


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
    text = _file(name).strip()
    # Package data, not input: this is what LiteralString stands for in the driver's types.
    return Query(name, cast(LiteralString, text))


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
            out.append(Query(f"{name}[{len(out)}]", cast(LiteralString, code)))
    return tuple(out)


def names() -> list[str]:
    """Every query file shipped with the package (tests EXPLAIN each of them)."""
    directory = resources.files(_PACKAGE)
    return sorted(
        entry.name.removesuffix(".cypher")
        for entry in directory.iterdir()
        if entry.name.endswith(".cypher")
    )
