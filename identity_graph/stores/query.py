"""Query text and values, kept apart: a `Statement` is text plus its parameters.

Fixed queries are named constants (`stores.sql`) or named files (`cypher/`). Generated ones
come from `expand`: a template whose `%%name%%` markers become either parameter names
(`$param_0, $param_1, ...` for a list of values, handed out by `Params`) or a name checked
by `sql_name`/`cypher_name` against a closed set. No value is ever part of the text, so a
query's text can be logged and shown in errors: it holds no personal data.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from identity_graph.errors import StoreError

__all__ = ["Params", "Statement", "cypher_name", "expand", "sql_name"]

_MARKER = re.compile(r"%%([a-z_]+)%%")
_SQL_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_CYPHER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Statement:
    """`name` identifies the query in errors and logs; `params` are bound, never inlined."""

    name: str
    text: str
    params: Mapping[str, object] = field(default_factory=dict)


class Params:
    """Parameter names for values: `$param_0`, `$param_1`, ... in the order added."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        name = f"param_{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def _row(self, value: object) -> str:
        if not isinstance(value, tuple):
            raise StoreError("a list of row values mixes rows and scalars")
        return f"({', '.join(self.add(v) for v in value)})"

    def add_list(self, values: Sequence[object]) -> str:
        """`$param_0, $param_1`; a tuple value becomes a row value `($param_0, $param_1)`."""
        if values and isinstance(values[0], tuple):
            return ", ".join(self._row(value) for value in values)
        start = len(self.values)
        names = [f"param_{i}" for i in range(start, start + len(values))]
        self.values.update(zip(names, values, strict=True))
        return ", ".join(f"${name}" for name in names)


def sql_name(name: str, allowed: Collection[str]) -> str:
    """A table or column name for generated SQL, from a closed set, quoted."""
    if name not in allowed or not _SQL_NAME.fullmatch(name):
        raise StoreError(f"not a known SQL name: {name!r}")
    return f'"{name}"'


def cypher_name(name: str, allowed: Collection[str]) -> str:
    """A label or relationship type for generated Cypher, from a closed set, escaped."""
    if name not in allowed or not _CYPHER_NAME.fullmatch(name):
        raise StoreError(f"not a known Cypher label or relationship type: {name!r}")
    return f"`{name}`"


def expand(
    name: str,
    template: str,
    *,
    lists: Mapping[str, Sequence[object]] | None = None,
    names: Mapping[str, str] | None = None,
    params: Mapping[str, object] | None = None,
) -> Statement:
    """Fill a template's `%%marker%%`s: each marker of `lists` with parameter names for its
    values (one set of parameters however often the marker repeats), each marker of
    `names` with a name already checked by `sql_name`/`cypher_name`. `params` are the
    template's own named parameters. Every marker must be filled, and only markers."""
    lists, names = dict(lists or {}), dict(names or {})
    found = set(_MARKER.findall(template))
    given = set(lists) | set(names)
    if found != given or set(lists) & set(names):
        raise StoreError(f"query {name!r}: markers {sorted(found)} but given {sorted(given)}")
    p = Params()
    filled = {marker: p.add_list(values) for marker, values in lists.items()}
    filled.update(names)
    text = _MARKER.sub(lambda m: filled[m.group(1)], template)
    clash = set(p.values) & set(params or {})
    if clash:
        raise StoreError(f"query {name!r}: parameters {sorted(clash)} given twice")
    return Statement(name, text, {**(params or {}), **p.values})
