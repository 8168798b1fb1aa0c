"""A resolved segment compiled to SQLite: set-based, one `SELECT person_id` per node.

`and` intersects its positive children and subtracts (`EXCEPT`) the insides of its `not`
children (nested `and`s and `except`s are flattened into it); `or` is a `UNION`; only a
negation with nothing positive beside it starts from the universe (current persons with an
identifier). Every set holds the persons for whom its node is true, so a `not` is a set
difference and no NULL can leak through it (two-valued logic).

Activity and consent rows carry their identifier's person (the store keeps it so), so they
are counted per person from covering indexes without a lookup per row: from their target
(`activity_by_target`: kind, target_id, day, person_id, count) or purpose
(`consent_by_purpose`). An `and` with an activity on one product or campaign computes that
set once (a materialized CTE) and seeds its other children with it: they start from those
persons (`activity_by_person`, `consent_by_person`, `identifiers_by_person`; records through
their identifiers) instead of reading every row of their own target or purpose.

Values (products, campaigns, purposes, the JSON path of an attribute, source ranks) are
always parameters; the text only holds names and operators chosen from closed sets.
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
from identity_graph.segments.reference import compare
from identity_graph.stores.query import Params, Statement

__all__ = ["count", "members", "person_set"]

UNIVERSE = (
    "SELECT p.person_id AS person_id FROM persons p WHERE p.merged_into IS NULL "
    "AND EXISTS (SELECT 1 FROM identifiers u WHERE u.person_id = p.person_id)"
)
_EMPTY = "SELECT p.person_id AS person_id FROM persons p WHERE 0"


def members(expr: Expr, ctx: EvalContext, after: str | None, limit: int) -> Statement:
    """One page of members, by person_id, after the cursor `after` (keyset)."""
    c = _Compiler(ctx)
    body = c.set(expr)
    after_p, limit_p = c.p.add(after or ""), c.p.add(int(limit))
    text = (
        f"{c.with_clause()}SELECT s.person_id FROM ({body}) AS s\n"
        "JOIN persons m ON m.person_id = s.person_id AND m.merged_into IS NULL\n"
        f"WHERE s.person_id > {after_p}\nORDER BY s.person_id\nLIMIT {limit_p}"
    )
    return Statement("segment_members", text, c.p.values)


def count(expr: Expr, ctx: EvalContext) -> Statement:
    """The number of members."""
    c = _Compiler(ctx)
    body = c.set(expr)
    text = (
        f"{c.with_clause()}SELECT count(*) FROM ({body}) AS s\n"
        "JOIN persons m ON m.person_id = s.person_id AND m.merged_into IS NULL"
    )
    return Statement("segment_count", text, c.p.values)


def person_set(expr: Expr, ctx: EvalContext) -> Statement:
    """The members as one `SELECT person_id` (unordered): to combine with other SQL."""
    c = _Compiler(ctx)
    body = c.set(expr)
    return Statement("segment_set", c.with_clause() + body, c.p.values)


def _selective(expr: Expr) -> bool:
    """An activity criterion on one product or campaign: few rows, from its index."""
    activity = activity_of(expr)
    return activity is not None and activity[1] is not None


def _operand(sql: str) -> str:
    # A compound SELECT's operands must be simple SELECTs: wrap anything else.
    return f"SELECT person_id FROM ({sql})"


class _Compiler:
    def __init__(self, ctx: EvalContext) -> None:
        self.ctx = ctx
        self.p = Params()
        self.ctes: list[str] = []
        # The candidates (a CTE) every set is restricted to, inside an `and` seeded by a
        # selective child: its other children then start from those persons' identifiers.
        self.within: str | None = None

    def with_clause(self) -> str:
        return f"WITH {', '.join(self.ctes)}\n" if self.ctes else ""

    def _universe(self) -> str:
        if self.within is not None:
            return f"SELECT person_id FROM {self.within}"
        return UNIVERSE

    def _idents(self) -> str:
        """FROM the identifiers `i` (of the candidates, when seeded)."""
        if self.within is None:
            return "FROM identifiers i"
        return f"FROM {self.within} w CROSS JOIN identifiers i ON i.person_id = w.person_id"

    def _owned(self, table: str, alias: str) -> str:
        """FROM activity or consent rows, which carry their identifier's person: from the
        table (its target/purpose index drives), or by person for the candidates."""
        if self.within is None:
            return f"FROM {table} {alias}"
        return f"FROM {self.within} w CROSS JOIN {table} {alias} ON {alias}.person_id = w.person_id"

    def _joined(self, table: str, alias: str) -> str:
        """FROM `table` joined to the identifiers `i` it hangs off: from the table (its
        target/purpose index drives), or from the candidates' identifiers when seeded."""
        if self.within is None:
            return f"FROM {table} {alias} CROSS JOIN identifiers i ON i.key = {alias}.key"
        return f"{self._idents()} CROSS JOIN {table} {alias} ON {alias}.key = i.key"

    def set(self, expr: Expr) -> str:
        if isinstance(expr, And):
            return self._and(list(expr.and_))
        if isinstance(expr, Or):
            return "\nUNION\n".join(_operand(self.set(e)) for e in expr.or_)
        if isinstance(expr, Not):
            return self._and([expr])
        if isinstance(expr, Except):
            body = expr.except_
            removed = [Not.model_validate({"not": e}) for e in body.remove]
            return self._and([body.from_, *removed])
        return self._criterion(expr)

    def _and(self, items: list[Expr]) -> str:
        positive: list[Expr] = []
        negative: list[Expr] = []
        todo = list(items)
        while todo:
            e = todo.pop(0)
            while isinstance(e, Not) and isinstance(e.not_, Not):
                e = e.not_.not_  # not not X is X
            if isinstance(e, And):  # and(and(a, b), c) is and(a, b, c)
                todo[:0] = e.and_
            elif isinstance(e, Except):  # a except [b] is and(a, not b)
                body = e.except_
                todo[:0] = [body.from_, *(Not.model_validate({"not": r}) for r in body.remove)]
            else:
                (negative if isinstance(e, Not) else positive).append(e)
        driver = next((e for e in positive if _selective(e)), None)
        if driver is None or self.within is not None or len(items) == 1:
            return self._combine(positive, negative)
        # A selective child (an activity on one target) is computed once; the others
        # start from its persons rather than from their own targets.
        name = f"seg_{len(self.ctes)}"
        self.ctes.append(f"{name} AS MATERIALIZED ({self.set(driver)})")
        self.within = name
        try:
            rest = [e for e in positive if e is not driver]
            text = self._combine(rest, negative, head=f"SELECT person_id FROM {name}")
        finally:
            self.within = None
        return text

    def _combine(self, positive: list[Expr], negative: list[Expr], head: str = "") -> str:
        parts = ([head] if head else []) + [_operand(self.set(e)) for e in positive]
        text = "\nINTERSECT\n".join(parts or [_operand(self._universe())])
        for e in negative:
            assert isinstance(e, Not)
            text += "\nEXCEPT\n" + _operand(self.set(e.not_))
        return text

    def _universe_except(self, sql: str) -> str:
        return f"{_operand(self._universe())}\nEXCEPT\n{_operand(sql)}"

    # -- criteria -------------------------------------------------------------------------

    def _criterion(self, expr: Expr) -> str:
        if isinstance(expr, HasIdentifier):
            t = self.p.add(expr.has_identifier.type)
            return f"SELECT DISTINCT i.person_id AS person_id {self._idents()} WHERE i.type = {t}"
        activity = activity_of(expr)
        if activity is not None:
            return self._activity(*activity)
        if isinstance(expr, OpenCase):
            return self._open_cases(None)
        if isinstance(expr, Consent):
            return self._consent(expr.consent.purpose)
        if isinstance(expr, Devices):
            types = self.p.add_list(list(self.ctx.settings.device_types))
            n = self.p.add(expr.devices.at_least)
            return (
                f"SELECT i.person_id AS person_id {self._idents()} "
                f"WHERE i.type IN ({types}) GROUP BY i.person_id HAVING count(*) >= {n}"
            )
        if isinstance(expr, Attribute):
            return self._attribute(expr)
        if isinstance(expr, Trait):
            return self._trait(expr)
        if isinstance(expr, InSegment):
            raise SegmentError("in_segment must be resolved before compiling (segments.resolve)")
        raise SegmentError(f"not a criterion: {type(expr).__name__}")

    def _activity(
        self, kind: str, target: str | None, within_days: int | None, at_least: int
    ) -> str:
        where = [f"a.kind = {self.p.add(kind)}"]
        if target is not None:
            # (target_type follows from the kind: the indexes leave it out.)
            where.append(f"a.target_id = {self.p.add(target)}")
        if within_days is not None:
            where.append(f"a.day >= {self.p.add(self.ctx.since(within_days))}")
        return (
            f"SELECT a.person_id AS person_id {self._owned('activity', 'a')}\n"
            f"WHERE {' AND '.join(where)}\n"
            f"GROUP BY a.person_id HAVING sum(a.count) >= {self.p.add(at_least)}"
        )

    def _open_rows(self, case: str | None) -> str:
        """Rows of cases opened by a person and closed by none of its identifiers."""
        opened, closed = self.p.add("OPENED_CASE"), self.p.add("CLOSED_CASE")
        only = f" AND a.target_id = {self.p.add(case)}" if case is not None else ""
        return (
            f"{self._owned('activity', 'a')}\nWHERE a.kind = {opened}{only} AND NOT EXISTS ("
            "SELECT 1 FROM activity c WHERE c.person_id = a.person_id "
            f"AND c.kind = {closed} AND c.target_id = a.target_id)"
        )

    def _open_cases(self, case: str | None) -> str:
        return f"SELECT DISTINCT a.person_id AS person_id {self._open_rows(case)}"

    def _consent(self, purpose: str) -> str:
        granted = self.ctx.settings.consent_defaults.get(purpose, False)
        # A person's newest signal wins, a denial on a tie: granted when its newest grant is
        # strictly newer than its newest denial (if any).
        newest_grant = "max(CASE WHEN c.granted THEN c.at END)"
        newest_denial = "max(CASE WHEN NOT c.granted THEN c.at END)"
        having = (
            f"{newest_denial} >= coalesce({newest_grant}, '')"
            if granted
            else f"{newest_grant} > coalesce({newest_denial}, '')"
        )
        rows = (
            f"SELECT c.person_id AS person_id {self._owned('consent', 'c')}\n"
            f"WHERE c.purpose = {self.p.add(purpose)}\n"
            f"GROUP BY c.person_id HAVING {having}"
        )
        # With no signal the default holds: a default grant is everyone but the deniers.
        return self._universe_except(rows) if granted else rows

    def _rank(self) -> str:
        """Survivorship order of records (`r`): source priority, then newest first, then
        source and record_id (the ranks are parameters)."""
        rank = source_rank(self.ctx.settings.source_priority)
        unlisted = self.p.add(len(rank))
        cases = " ".join(f"WHEN {self.p.add(s)} THEN {self.p.add(n)}" for s, n in rank.items())
        by_source = f"CASE r.source {cases} ELSE {unlisted} END" if cases else unlisted
        return f"{by_source}, r.observed_at DESC, r.source, r.record_id"

    def _attribute(self, expr: Attribute) -> str:
        body = expr.attribute
        path = self.p.add(f'$."{body.name}"')
        survivors = (
            "SELECT person_id, v FROM (SELECT i.person_id AS person_id, "
            f"json_extract(r.attributes, {path}) AS v, row_number() OVER ("
            f"PARTITION BY i.person_id ORDER BY {self._rank()}) AS n\n"
            f"{self._joined('records', 'r')}\n"
            f"WHERE json_extract(r.attributes, {path}) IS NOT NULL) WHERE n = 1"
        )
        if body.op == "exists":
            present = f"SELECT person_id FROM ({survivors})"
            return present if body.value is True else self._universe_except(present)
        return f"SELECT person_id FROM ({survivors}) WHERE {self._test('v', body.op, body.value)}"

    def _test(self, column: str, op: str, value: object) -> str:
        if op == "in":
            assert isinstance(value, tuple)
            return f"{column} IN ({self.p.add_list(list(value))})"
        if op == "contains":
            return f"instr({column}, {self.p.add(value)}) > 0"
        return f"{column} {SYMBOLS[op]} {self.p.add(value)}"

    def _trait_values(self, name: str) -> tuple[str, object]:
        """(`SELECT person_id, v` for the persons that have rows, the value of the others)."""
        group = "GROUP BY i.person_id"
        by_person = "GROUP BY a.person_id"
        acts = self._owned("activity", "a")
        if name in ("purchase_count", "purchase_amount", "view_count", "exposure_count"):
            kind = {"view_count": "VIEWED", "exposure_count": "EXPOSED_TO"}.get(name, "PURCHASED")
            agg = "round(sum(a.amount), 2)" if name == "purchase_amount" else "sum(a.count)"
            zero: object = 0.0 if name == "purchase_amount" else 0
            rows = f"{acts} WHERE a.kind = {self.p.add(kind)} {by_person}"
            return f"SELECT a.person_id AS person_id, {agg} AS v {rows}", zero
        if name == "last_purchase_at":
            kind = self.p.add("PURCHASED")
            rows = f"{acts} WHERE a.kind = {kind} {by_person}"
            return f"SELECT a.person_id AS person_id, max(a.last_at) AS v {rows}", None
        if name == "last_activity_at":
            rows = f"{acts} {by_person}"
            return f"SELECT a.person_id AS person_id, max(a.last_at) AS v {rows}", None
        if name == "open_case_count":
            rows = f"{self._open_rows(None)} {by_person}"
            return f"SELECT a.person_id AS person_id, count(DISTINCT a.target_id) AS v {rows}", 0
        if name == "device_count":
            types = self.p.add_list(list(self.ctx.settings.device_types))
            rows = f"{self._idents()} WHERE i.type IN ({types}) {group}"
            return f"SELECT i.person_id AS person_id, count(*) AS v {rows}", 0
        agg, none = {
            "identifier_count": ("count(*)", 0),
            "first_seen_at": ("min(i.first_seen)", None),
            "last_seen_at": ("max(i.last_seen)", None),
        }[name]
        return f"SELECT i.person_id AS person_id, {agg} AS v {self._idents()} {group}", none

    def _trait(self, expr: Trait) -> str:
        body = expr.trait
        name, op, value = body.name, body.op, body.value
        if name in ("products_bought", "open_cases"):
            target = None if op == "exists" else str(value)
            if name == "products_bought":
                found = self._activity("PURCHASED", target, None, 1)
            else:
                found = self._open_cases(target)
            return found if op != "exists" or value is True else self._universe_except(found)
        values, default = self._trait_values(name)
        if op == "exists":
            if default is not None:  # a count is never missing
                return self._universe() if value is True else _EMPTY
            present = f"SELECT person_id FROM ({values})"
            return present if value is True else self._universe_except(present)
        if default is not None and compare(op, default, value):
            # Persons without rows hold the default, and it passes: all but the failing.
            failing = f"SELECT person_id FROM ({values}) WHERE NOT ({self._test('v', op, value)})"
            return self._universe_except(failing)
        return f"SELECT person_id FROM ({values}) WHERE {self._test('v', op, value)}"
