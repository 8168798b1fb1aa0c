"""Why one person is in a segment or not: every node of the (resolved) expression with its
path and result, and for each criterion the identifiers and the activity rows, consent
signals or records that made it hold, or the values it saw when it did not.

The results are the reference evaluator's (`reference.check`), so a trace never disagrees
with the definition of membership. Paths are written as parse errors write them: the
criterion of `{"and": [A, {"not": B}]}`'s B is `and[1].not.<B's key>`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from identity_graph.ids import PersonId
from identity_graph.profiles.traits import PersonFacts
from identity_graph.segments.ast import And, Except, Expr, Not, Or, kind
from identity_graph.segments.context import EvalContext
from identity_graph.segments.reference import check
from identity_graph.stores.rows import ActivityRow, ConsentRow

__all__ = ["TraceNode", "TraceRecord", "Why", "why"]


class TraceRecord(BaseModel):
    identifier: str
    source: str
    record_id: str
    observed_at: str


class TraceNode(BaseModel):
    path: str = Field(description="where the node is in the expression, e.g. and[1].not.bought")
    node: str = Field(description="the node's key: and, or, not, except or a criterion")
    result: bool
    identifiers: list[str] = Field(default_factory=list, description="keys behind a criterion")
    activity: list[ActivityRow] = Field(default_factory=list, description="rows counted")
    consent: list[ConsentRow] = Field(default_factory=list, description="the deciding signal")
    records: list[TraceRecord] = Field(default_factory=list)
    seen: dict[str, Any] = Field(default_factory=dict, description="the values compared")


class Why(BaseModel):
    person_id: str
    result: bool
    nodes: list[TraceNode] = Field(description="every node, in the order of the expression")


def why(expr: Expr, person: PersonFacts, ctx: EvalContext) -> Why:
    """The trace of a resolved expression on one person (of the universe)."""
    nodes: list[TraceNode] = []
    result = _trace(expr, person, ctx, "", nodes)
    return Why(person_id=PersonId(person.person_id), result=result, nodes=nodes)


def _trace(
    expr: Expr, person: PersonFacts, ctx: EvalContext, at: str, out: list[TraceNode]
) -> bool:
    key = kind(expr)
    path = f"{at}.{key}" if at else key
    node = TraceNode(path=path, node=key, result=False)
    out.append(node)  # before its children: the trace reads top-down
    if isinstance(expr, And | Or):
        items = expr.and_ if isinstance(expr, And) else expr.or_
        results = [_trace(e, person, ctx, f"{path}[{i}]", out) for i, e in enumerate(items)]
        node.result = all(results) if isinstance(expr, And) else any(results)
    elif isinstance(expr, Not):
        node.result = not _trace(expr.not_, person, ctx, path, out)
    elif isinstance(expr, Except):
        body = expr.except_
        source = _trace(body.from_, person, ctx, f"{path}.from", out)
        removed = [
            _trace(e, person, ctx, f"{path}.remove[{i}]", out) for i, e in enumerate(body.remove)
        ]
        node.result = source and not any(removed)
    else:
        found = check(expr, person, ctx)
        node.result = found.held
        node.identifiers = sorted(found.keys)
        node.activity = list(found.activity)
        node.consent = list(found.consent)
        node.records = [
            TraceRecord(
                identifier=r.key, source=r.source, record_id=r.record_id, observed_at=r.observed_at
            )
            for r in found.records
        ]
        node.seen = dict(found.seen)
    return node.result
