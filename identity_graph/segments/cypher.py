"""A resolved segment compiled to Cypher: one boolean predicate on `(p:Person)`.

Each criterion is a subquery expression on the person's identifiers (`EXISTS {}`, `COUNT
{}`, `COLLECT {}`) that is true or false, never null: a comparison on a missing value is
wrapped in `coalesce(..., false)`, so `NOT` stays two-valued. Relationship types and labels
come from closed sets through `cypher_name`; every value (products, campaigns, purposes,
the `attr_<name>` property read by dynamic access, source ranks) is a parameter.
"""

from __future__ import annotations

from identity_graph.errors import SegmentError
from identity_graph.profiles.traits import source_rank
from identity_graph.segments.ast import (
    SYMBOLS,
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
from identity_graph.stores.cypher_files import ACTIVITY_TARGETS
from identity_graph.stores.query import Params, Statement, cypher_name

__all__ = ["count", "members", "predicate"]

_NAMES = {*ACTIVITY_TARGETS, *ACTIVITY_TARGETS.values()}
_OWN = "(p)<-[:BELONGS_TO]-(i:Identifier)"
_UNIVERSE = "p.merged_into IS NULL AND EXISTS { (p)<-[:BELONGS_TO]-(:Identifier) }"


def members(expr: Expr, ctx: EvalContext, after: str | None, limit: int) -> Statement:
    """One page of members, by person_id, after the cursor `after` (keyset on the
    person_id index)."""
    c = _Compiler(ctx)
    test = c.test(expr)
    after_p, limit_p = c.p.add(after or ""), c.p.add(int(limit))
    text = (
        f"MATCH (p:Person)\nWHERE p.person_id > {after_p} AND {_UNIVERSE}\n  AND {test}\n"
        f"RETURN p.person_id AS person_id\nORDER BY person_id\nLIMIT {limit_p}"
    )
    return Statement("segment_members", text, c.p.values)


def count(expr: Expr, ctx: EvalContext) -> Statement:
    c = _Compiler(ctx)
    test = c.test(expr)
    text = f"MATCH (p:Person)\nWHERE {_UNIVERSE}\n  AND {test}\nRETURN count(p) AS n"
    return Statement("segment_count", text, c.p.values)


def predicate(expr: Expr, ctx: EvalContext) -> Statement:
    """The membership test of a person bound as `p`, to embed in other Cypher."""
    c = _Compiler(ctx)
    return Statement("segment_predicate", c.test(expr), c.p.values)


class _Compiler:
    def __init__(self, ctx: EvalContext) -> None:
        self.ctx = ctx
        self.p = Params()

    def test(self, expr: Expr) -> str:
        if isinstance(expr, And):
            return "(" + " AND ".join(self.test(e) for e in expr.and_) + ")"
        if isinstance(expr, Or):
            return "(" + " OR ".join(self.test(e) for e in expr.or_) + ")"
        if isinstance(expr, Not):
            return f"(NOT ({self.test(expr.not_)}))"
        if isinstance(expr, Except):
            body = expr.except_
            removed = " OR ".join(self.test(e) for e in body.remove)
            return f"({self.test(body.from_)} AND NOT ({removed}))"
        return self._criterion(expr)

    def _criterion(self, expr: Expr) -> str:
        if isinstance(expr, HasIdentifier):
            t = self.p.add(expr.has_identifier.type)
            return f"EXISTS {{ MATCH {_OWN} WHERE i.type = {t} }}"
        activity = activity_of(expr)
        if activity is not None:
            return self._activity(*activity)
        if isinstance(expr, OpenCase):
            return f"EXISTS {{ {self._open_rows(None)} }}"
        if isinstance(expr, Consent):
            return self._consent(expr.consent.purpose)
        if isinstance(expr, Devices):
            types = self.p.add(list(self.ctx.settings.device_types))
            n = self.p.add(expr.devices.at_least)
            return f"COUNT {{ MATCH {_OWN} WHERE i.type IN {types} }} >= {n}"
        if isinstance(expr, Attribute):
            return self._attribute(expr)
        if isinstance(expr, Trait):
            return self._trait(expr)
        if isinstance(expr, InSegment):
            raise SegmentError("in_segment must be resolved before compiling (segments.resolve)")
        raise SegmentError(f"not a criterion: {type(expr).__name__}")

    def _rows(self, kind: str, target: str | None, within_days: int | None) -> str:
        """`MATCH` of the person's activity rows `r` of one kind (on one target, in a window)."""
        rel = cypher_name(kind, _NAMES)
        label = cypher_name(ACTIVITY_TARGETS[kind], _NAMES)
        where = []
        if target is not None:
            where.append(f"t.id = {self.p.add(target)}")
        if within_days is not None:
            where.append(f"r.day >= {self.p.add(self.ctx.since(within_days))}")
        match = f"MATCH {_OWN}-[r:{rel}]->(t:{label})"
        return f"{match} WHERE {' AND '.join(where)}" if where else match

    def _sum(self, rows: str, value: str, zero: str = "0") -> str:
        return f"reduce(s = {zero}, x IN COLLECT {{ {rows} RETURN {value} }} | s + x)"

    def _activity(
        self, kind: str, target: str | None, within_days: int | None, at_least: int
    ) -> str:
        total = self._sum(self._rows(kind, target, within_days), "r.count")
        return f"{total} >= {self.p.add(at_least)}"

    def _open_rows(self, case: str | None) -> str:
        only = f" AND k.id = {self.p.add(case)}" if case is not None else ""
        return (
            f"MATCH {_OWN}-[:OPENED_CASE]->(k:Case) WHERE NOT EXISTS "
            "{ MATCH (p)<-[:BELONGS_TO]-(:Identifier)-[:CLOSED_CASE]->(k) }" + only
        )

    def _consent(self, purpose: str) -> str:
        default = self.p.add(self.ctx.settings.consent_defaults.get(purpose, False))
        # The newest signal across identifiers; on a tie a denial (false sorts first).
        newest = (
            f"COLLECT {{ MATCH {_OWN}-[c:CONSENT]->(:Purpose {{name: {self.p.add(purpose)}}}) "
            "RETURN c.granted AS granted ORDER BY c.at DESC, granted ASC LIMIT 1 }"
        )
        return f"coalesce(head({newest}), {default})"

    def _compare(self, value: str, op: str, want: object) -> str:
        if op == "in":
            assert isinstance(want, tuple)
            test = f"{value} IN {self.p.add(list(want))}"
        elif op == "contains":
            test = f"{value} CONTAINS {self.p.add(want)}"
        else:
            test = f"{value} {SYMBOLS[op]} {self.p.add(want)}"
        return f"coalesce({test}, false)"  # a missing value compares false

    def _attribute(self, expr: Attribute) -> str:
        body = expr.attribute
        prop = self.p.add(f"attr_{body.name}")
        rank = source_rank(self.ctx.settings.source_priority)
        ranks, unlisted = self.p.add(rank), self.p.add(len(rank))
        value = (
            f"head(COLLECT {{ MATCH {_OWN}-[:HAS_RECORD]->(r:Record) WHERE r[{prop}] IS NOT NULL "
            f"RETURN r[{prop}] AS v ORDER BY coalesce({ranks}[r.source], {unlisted}), "
            "r.observed_at DESC, r.source, r.record_id LIMIT 1 })"
        )
        if body.op == "exists":
            return f"({value} IS NOT NULL) = {self.p.add(body.value)}"
        return self._compare(value, body.op, body.value)

    def _trait_value(self, name: str) -> tuple[str, bool]:
        """(the trait's value for `p`, whether it is never missing)."""
        if name in ("purchase_count", "view_count", "exposure_count"):
            kind = {"view_count": "VIEWED", "exposure_count": "EXPOSED_TO"}.get(name, "PURCHASED")
            return self._sum(self._rows(kind, None, None), "r.count"), True
        if name == "purchase_amount":
            total = self._sum(self._rows("PURCHASED", None, None), "r.amount", "0.0")
            return f"round({total}, 2)", True
        if name == "last_purchase_at":
            rows = self._rows("PURCHASED", None, None)
            return (
                f"head(COLLECT {{ {rows} RETURN r.last_at AS v ORDER BY v DESC LIMIT 1 }})",
                False,
            )
        if name == "last_activity_at":
            kinds = "|".join(cypher_name(k, _NAMES) for k in ACTIVITY_TARGETS)
            rows = f"MATCH {_OWN}-[r:{kinds}]->()"
            return (
                f"head(COLLECT {{ {rows} RETURN r.last_at AS v ORDER BY v DESC LIMIT 1 }})",
                False,
            )
        if name == "open_case_count":
            return f"size(COLLECT {{ {self._open_rows(None)} RETURN DISTINCT k.id }})", True
        if name == "device_count":
            types = self.p.add(list(self.ctx.settings.device_types))
            return f"COUNT {{ MATCH {_OWN} WHERE i.type IN {types} }}", True
        if name == "identifier_count":
            return f"COUNT {{ {_OWN} }}", True
        field, order = {
            "first_seen_at": ("first_seen", ""),
            "last_seen_at": ("last_seen", " DESC"),
        }[name]
        return (
            f"head(COLLECT {{ MATCH {_OWN} RETURN i.{field} AS v ORDER BY v{order} LIMIT 1 }})",
            False,
        )

    def _trait(self, expr: Trait) -> str:
        body = expr.trait
        name, op, want = body.name, body.op, body.value
        if name in ("products_bought", "open_cases"):
            target = None if op == "exists" else str(want)
            if name == "products_bought":
                found = f"EXISTS {{ {self._rows('PURCHASED', target, None)} }}"
            else:
                found = f"EXISTS {{ {self._open_rows(target)} }}"
            return found if op != "exists" or want is True else f"(NOT {found})"
        value, always = self._trait_value(name)
        if op == "exists":
            if always:
                return "true" if want is True else "false"
            return f"({value} IS NOT NULL) = {self.p.add(want)}"
        return self._compare(value, op, want)
