"""The meaning of a segment, in plain Python over `PersonFacts`: the definition that the SQL
and Cypher compilers are tested against, written for clarity rather than speed.

- The universe is every current person with at least one identifier (the facts given).
- Everything is counted per person across all its identifiers: a campaign seen once on a
  cookie and once on a phone is two exposures.
- Two-valued logic: a comparison on a missing value is false (so its `not` is true).
- `within_days: N` keeps activity rows whose UTC day is >= `ctx.since(N)`.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from identity_graph.errors import SegmentError
from identity_graph.ids import IdentifierKey, PersonId
from identity_graph.profiles.traits import (
    PersonFacts,
    RecordFact,
    compute_traits,
    consent_of,
    surviving,
)
from identity_graph.segments.ast import (
    And,
    Attribute,
    Consent,
    Devices,
    Except,
    Expr,
    HasIdentifier,
    InSegment,
    Not,
    OpenCase,
    Or,
    Trait,
    activity_of,
)
from identity_graph.segments.context import EvalContext
from identity_graph.stores.rows import ActivityRow, ConsentRow
from identity_graph.views import Traits

__all__ = ["Finding", "check", "compare", "evaluate", "members"]

_ORDER = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}


@dataclass
class Finding:
    """Whether a criterion held for a person, and what it saw: the identifiers, activity
    rows, consent signals and records behind it, and the values it compared."""

    held: bool
    keys: set[IdentifierKey] = field(default_factory=set)
    activity: list[ActivityRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)
    records: list[RecordFact] = field(default_factory=list)
    seen: dict[str, object] = field(default_factory=dict)


def members(expr: Expr, people: Iterable[PersonFacts], ctx: EvalContext) -> list[PersonId]:
    """The members among `people` (the universe: persons with identifiers), by person_id."""
    return sorted(p.person_id for p in people if p.identifiers and evaluate(expr, p, ctx))


def evaluate(expr: Expr, person: PersonFacts, ctx: EvalContext) -> bool:
    if isinstance(expr, And):
        return all(evaluate(e, person, ctx) for e in expr.and_)
    if isinstance(expr, Or):
        return any(evaluate(e, person, ctx) for e in expr.or_)
    if isinstance(expr, Not):
        return not evaluate(expr.not_, person, ctx)
    if isinstance(expr, Except):
        body = expr.except_
        return evaluate(body.from_, person, ctx) and not any(
            evaluate(e, person, ctx) for e in body.remove
        )
    return check(expr, person, ctx).held


def check(expr: Expr, person: PersonFacts, ctx: EvalContext) -> Finding:
    """One criterion on one person."""
    if isinstance(expr, HasIdentifier):
        keys = {i.key for i in person.identifiers if i.type == expr.has_identifier.type}
        return Finding(bool(keys), keys=keys)
    if isinstance(expr, Attribute):
        return _attribute(expr, person, ctx)
    if isinstance(expr, Trait):
        return _trait(expr, person, ctx)
    activity = activity_of(expr)
    if activity is not None:
        return _activity(person, ctx, *activity)
    if isinstance(expr, OpenCase):
        return _open_case(person)
    if isinstance(expr, Consent):
        granted, signal = consent_of(person, expr.consent.purpose, ctx.settings)
        if signal is None:
            return Finding(granted, seen={"default": granted})
        return Finding(granted, keys={signal.key}, consent=[signal])
    if isinstance(expr, Devices):
        types = set(ctx.settings.device_types)
        keys = {i.key for i in person.identifiers if i.type in types}
        return Finding(len(keys) >= expr.devices.at_least, keys=keys, seen={"devices": len(keys)})
    if isinstance(expr, InSegment):
        raise SegmentError("in_segment must be resolved before evaluation (segments.resolve)")
    raise SegmentError(f"not a criterion: {type(expr).__name__}")


def _activity(
    person: PersonFacts,
    ctx: EvalContext,
    kind: str,
    target: str | None,
    within_days: int | None,
    at_least: int,
) -> Finding:
    since = ctx.since(within_days) if within_days is not None else None
    rows = [
        a
        for a in person.activity
        if a.kind == kind
        and (target is None or a.target_id == target)
        and (since is None or a.day >= since)
    ]
    total = sum(a.count for a in rows)
    return Finding(
        total >= at_least, keys={a.key for a in rows}, activity=rows, seen={"count": total}
    )


def _open_case(person: PersonFacts) -> Finding:
    closed = {a.target_id for a in person.activity if a.kind == "CLOSED_CASE"}
    rows = [a for a in person.activity if a.kind == "OPENED_CASE" and a.target_id not in closed]
    cases = sorted({a.target_id for a in rows})
    return Finding(bool(rows), keys={a.key for a in rows}, activity=rows, seen={"open": cases})


def compare(op: str, have: object, want: object) -> bool:
    """`have OP want` for a value that is present (strings compare as text, by code point)."""
    if op == "eq":
        return have == want
    if op == "ne":
        return have != want
    if op == "in":
        assert isinstance(want, tuple)
        return have in want
    if op == "contains":
        if isinstance(have, list):
            return want in have
        return isinstance(have, str) and isinstance(want, str) and want in have
    # Values of one criterion have one type (the parser checked them against the trait).
    order = _ORDER.get(op)
    if order is None:
        raise SegmentError(f"unknown operator {op!r}")
    a: Any = have
    b: Any = want
    return bool(order(a, b))


def _attribute(expr: Attribute, person: PersonFacts, ctx: EvalContext) -> Finding:
    body = expr.attribute
    found = surviving(person.records, ctx.settings.source_priority).get(body.name)
    if found is None:
        held = body.op == "exists" and body.value is False
        return Finding(held, seen={"value": None})
    value, record = found
    held = body.value is True if body.op == "exists" else compare(body.op, value, body.value)
    return Finding(held, keys={record.key}, records=[record], seen={"value": value})


def trait_value(traits: Traits, name: str) -> object:
    """A trait as comparisons see it: a missing timestamp or an empty list is no value."""
    value: object = getattr(traits, name)
    return None if value == [] else value


def _trait(expr: Trait, person: PersonFacts, ctx: EvalContext) -> Finding:
    body = expr.trait
    value = trait_value(compute_traits(person, ctx.settings), body.name)
    if body.op == "exists":
        held = (value is not None) is body.value
    else:
        held = value is not None and compare(body.op, value, body.value)
    return Finding(held, seen={body.name: value})
