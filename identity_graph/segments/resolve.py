"""Named segments expanded inline: `resolve` replaces every `in_segment` by the expression
it names (ready-made lists first, then the stored segments `lookup` returns), so that the
compilers and the evaluator only ever see criteria and logic."""

from __future__ import annotations

from collections.abc import Callable

from identity_graph.errors import SegmentError
from identity_graph.segments.ast import (
    And,
    Except,
    Expr,
    InSegment,
    Not,
    Or,
    check_limits,
)
from identity_graph.segments.library import ready_made

__all__ = ["Lookup", "resolve"]

#: A stored segment's expression by name, None when there is none.
Lookup = Callable[[str], Expr | None]


def resolve(expr: Expr, lookup: Lookup) -> Expr:
    """`expr` with its named segments expanded; SegmentError for an unknown name, a cycle,
    or an expansion beyond the depth and node limits."""
    out = _Expander(lookup).expand(expr, "", ())
    check_limits(out)
    return out


class _Expander:
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._done: dict[str, Expr] = {}

    def expand(self, expr: Expr, path: str, stack: tuple[str, ...]) -> Expr:
        if isinstance(expr, And):
            kids = self._all(expr.and_, f"{path}.and" if path else "and", stack)
            return And.model_validate({"and": kids})
        if isinstance(expr, Or):
            kids = self._all(expr.or_, f"{path}.or" if path else "or", stack)
            return Or.model_validate({"or": kids})
        if isinstance(expr, Not):
            inner = self.expand(expr.not_, f"{path}.not" if path else "not", stack)
            return Not.model_validate({"not": inner})
        if isinstance(expr, Except):
            at = f"{path}.except" if path else "except"
            source = self.expand(expr.except_.from_, f"{at}.from", stack)
            remove = self._all(expr.except_.remove, f"{at}.remove", stack)
            return Except.model_validate({"except": {"from": source, "remove": remove}})
        if isinstance(expr, InSegment):
            return self._named(
                expr.in_segment.name, f"{path}.in_segment" if path else "in_segment", stack
            )
        return expr

    def _all(self, items: tuple[Expr, ...], path: str, stack: tuple[str, ...]) -> tuple[Expr, ...]:
        return tuple(self.expand(e, f"{path}[{i}]", stack) for i, e in enumerate(items))

    def _named(self, name: str, path: str, stack: tuple[str, ...]) -> Expr:
        if name in stack:
            chain = " -> ".join((*stack[stack.index(name) :], name))
            raise SegmentError(f"{path}: segment {name!r} refers to itself ({chain})", path=path)
        if name in self._done:
            return self._done[name]
        found = ready_made(name)
        if found is None:
            found = self._lookup(name)
        if found is None:
            raise SegmentError(f"{path}: unknown segment {name!r}", path=path)
        out = self.expand(found, path, (*stack, name))
        self._done[name] = out
        return out
