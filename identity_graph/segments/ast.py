"""The segment AST: one JSON expression, parsed into frozen pydantic models.

Every node is an object with exactly one key naming it: `and`/`or` (non-empty lists), `not`,
`except` (`{"from": A, "remove": [B, ...]}`), `in_segment` (a named segment, `{"name": S}`
or the string `S`), and the criteria of `CRITERIA`. `parse_segment` walks the JSON by hand so
that each error names its path in the expression (`and[2].not.exposed.at_least: must be >=
1`) and the depth and size limits stop a hostile input before anything recurses into it.
Errors never quote a value of the expression: values may be personal data (an email).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as _ValidationError

from identity_graph.errors import SegmentError
from identity_graph.ingest.limits import MAX_ID, MAX_INT, MAX_TEXT
from identity_graph.ingest.normalize import text_problem

__all__ = [
    "CRITERIA",
    "DATETIME_TRAITS",
    "LIST_TRAITS",
    "MAX_DEPTH",
    "MAX_NODES",
    "NUMERIC_TRAITS",
    "OPERATORS",
    "SYMBOLS",
    "TRAITS",
    "And",
    "Attribute",
    "Bought",
    "Consent",
    "Criterion",
    "Devices",
    "Except",
    "Exposed",
    "Expr",
    "HasIdentifier",
    "InSegment",
    "Not",
    "OpenCase",
    "Or",
    "Trait",
    "Viewed",
    "activity_of",
    "check_limits",
    "dump_segment",
    "parse_segment",
]

MAX_DEPTH = 12
MAX_NODES = 200
MAX_LIST = 100  # values of one `in` (200 nodes of 100 stay within bound-parameter limits)
# Names and IDs (a product, a campaign, a purpose, a trait), as ingest bounds them.
MAX_NAME = MAX_ID
# A compared string (an attribute value: an address), as ingest bounds them.
MAX_VALUE = MAX_TEXT
# A comparison beyond these has no meaning and overflows the stores' integers and the
# date arithmetic of time windows.
MAX_NUMBER = MAX_INT
MAX_DAYS = 36_500
MAX_COUNT = 1_000_000_000
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "exists")
# The ordering operators as SQL and Cypher both write them.
SYMBOLS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

#: The traits a `trait` criterion compares, by the type of their value.
NUMERIC_TRAITS = (
    "purchase_count",
    "purchase_amount",
    "view_count",
    "exposure_count",
    "open_case_count",
    "device_count",
    "identifier_count",
)
DATETIME_TRAITS = ("last_purchase_at", "first_seen_at", "last_seen_at", "last_activity_at")
LIST_TRAITS = ("products_bought", "open_cases")
TRAITS = (*NUMERIC_TRAITS, *DATETIME_TRAITS, *LIST_TRAITS)
# Traits of the profile that a comparison cannot take: a criterion of their own reads them.
_OTHER_CRITERION = {"exposures": "exposed", "consent": "consent"}

Scalar: TypeAlias = StrictStr | StrictInt | StrictFloat
Value: TypeAlias = Scalar | list[Scalar] | bool


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# -- criteria (their bodies are what the user writes under the criterion's key) -----------


class _Compare(_Node):
    """One operator and its value; `op` and `value` are what the compilers read."""

    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None
    gt: Scalar | None = None
    gte: Scalar | None = None
    in_: tuple[Scalar, ...] | None = Field(None, alias="in")
    contains: Scalar | None = None
    exists: StrictBool | None = None

    @property
    def op(self) -> str:
        for name in OPERATORS:
            if getattr(self, "in_" if name == "in" else name) is not None:
                return name
        raise AssertionError("a comparison without operator")  # parse_segment prevents it

    @property
    def value(self) -> Scalar | tuple[Scalar, ...] | bool:
        found: Scalar | tuple[Scalar, ...] | bool = getattr(
            self, "in_" if self.op == "in" else self.op
        )
        return found


class AttributeBody(_Compare):
    # Quoted into a JSON path (SQLite) and a property name (Neo4j): no quote or backslash.
    name: StrictStr = Field(min_length=1, max_length=MAX_NAME, pattern=r'^[^"\\]+$')


class TraitBody(_Compare):
    name: StrictStr = Field(max_length=MAX_NAME)


class HasIdentifierBody(_Node):
    type: StrictStr = Field(min_length=1, max_length=MAX_NAME)


class ActivityBody(_Node):
    product: StrictStr | None = Field(None, min_length=1, max_length=MAX_NAME)
    within_days: StrictInt | None = Field(None, ge=0, le=MAX_DAYS)
    at_least: StrictInt = Field(1, ge=1, le=MAX_COUNT)


class ExposedBody(_Node):
    campaign: StrictStr = Field(min_length=1, max_length=MAX_NAME)
    at_least: StrictInt = Field(1, ge=1, le=MAX_COUNT)
    within_days: StrictInt | None = Field(None, ge=0, le=MAX_DAYS)


class OpenCaseBody(_Node):
    pass


class ConsentBody(_Node):
    purpose: StrictStr = Field(min_length=1, max_length=MAX_NAME)


class DevicesBody(_Node):
    at_least: StrictInt = Field(ge=1, le=MAX_COUNT)


class HasIdentifier(_Node):
    has_identifier: HasIdentifierBody


class Attribute(_Node):
    attribute: AttributeBody


class Trait(_Node):
    trait: TraitBody


class Bought(_Node):
    bought: ActivityBody


class Viewed(_Node):
    viewed: ActivityBody


class Exposed(_Node):
    exposed: ExposedBody


class OpenCase(_Node):
    open_case: OpenCaseBody


class Consent(_Node):
    consent: ConsentBody


class Devices(_Node):
    devices: DevicesBody


Criterion: TypeAlias = (
    HasIdentifier | Attribute | Trait | Bought | Viewed | Exposed | OpenCase | Consent | Devices
)
_CRITERION_TYPES: dict[str, type[_Node]] = {
    "has_identifier": HasIdentifier,
    "attribute": Attribute,
    "trait": Trait,
    "bought": Bought,
    "viewed": Viewed,
    "exposed": Exposed,
    "open_case": OpenCase,
    "consent": Consent,
    "devices": Devices,
}
CRITERIA = tuple(_CRITERION_TYPES)

# -- logical nodes ------------------------------------------------------------------------


class SegmentRef(_Node):
    name: StrictStr = Field(min_length=1, max_length=300)


class InSegment(_Node):
    in_segment: SegmentRef


class And(_Node):
    and_: tuple[Expr, ...] = Field(alias="and", min_length=1)


class Or(_Node):
    or_: tuple[Expr, ...] = Field(alias="or", min_length=1)


class Not(_Node):
    not_: Expr = Field(alias="not")


class ExceptBody(_Node):
    from_: Expr = Field(alias="from")
    remove: tuple[Expr, ...] = Field(min_length=1)


class Except(_Node):
    except_: ExceptBody = Field(alias="except")


Expr: TypeAlias = Annotated[
    And | Or | Not | Except | InSegment | Criterion, Field(union_mode="left_to_right")
]
_LOGICAL = ("and", "or", "not", "except", "in_segment")

for _model in (And, Or, Not, ExceptBody, Except):
    _model.model_rebuild()


_N = TypeVar("_N", bound=_Node)

# -- parsing ------------------------------------------------------------------------------


def _fail(path: str, message: str) -> SegmentError:
    return SegmentError(f"{path or 'segment'}: {message}", path=path)


def _join(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0

    def expr(self, data: object, path: str, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise _fail(path, f"nested deeper than {MAX_DEPTH} levels")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _fail(path, f"the expression has more than {MAX_NODES} nodes")
        if not isinstance(data, Mapping):
            raise _fail(path, "expected an object with one key: " + ", ".join(_LOGICAL + CRITERIA))
        if len(data) != 1:
            keys = ", ".join(sorted(str(k) for k in data)) or "none"
            raise _fail(path, f"a node has exactly one key, got {len(data)} ({keys})")
        ((key, body),) = data.items()
        where = _join(path, str(key))
        if key in ("and", "or"):
            if not isinstance(body, Sequence) or isinstance(body, str):
                raise _fail(where, "expected a list of expressions")
            if not body:
                raise _fail(where, "must not be empty")
            children = tuple(
                self.expr(item, _join(where, i), depth + 1) for i, item in enumerate(body)
            )
            if key == "and":
                return And.model_validate({"and": children})
            return Or.model_validate({"or": children})
        if key == "not":
            return Not.model_validate({"not": self.expr(body, where, depth + 1)})
        if key == "except":
            return self._except(body, where, depth)
        if key == "in_segment":
            return InSegment(in_segment=self._ref(body, where))
        if key in _CRITERION_TYPES:
            return self._criterion(str(key), body, where)
        raise _fail(
            where if path else str(key),
            "unknown node or criterion; expected one of " + ", ".join(_LOGICAL + CRITERIA),
        )

    def _except(self, body: object, where: str, depth: int) -> Except:
        if not isinstance(body, Mapping):
            raise _fail(where, 'expected {"from": expression, "remove": [expressions]}')
        unknown = sorted(str(k) for k in body if k not in ("from", "remove"))
        if unknown:
            raise _fail(_join(where, unknown[0]), "unknown key; expected from, remove")
        for required in ("from", "remove"):
            if required not in body:
                raise _fail(_join(where, required), "required")
        source = self.expr(body["from"], _join(where, "from"), depth + 1)
        removed = body["remove"]
        at = _join(where, "remove")
        if not isinstance(removed, Sequence) or isinstance(removed, str):
            raise _fail(at, "expected a list of expressions")
        if not removed:
            raise _fail(at, "must not be empty")
        remove = tuple(self.expr(item, _join(at, i), depth + 1) for i, item in enumerate(removed))
        return Except.model_validate({"except": {"from": source, "remove": remove}})

    def _ref(self, body: object, where: str) -> SegmentRef:
        if isinstance(body, str):
            body = {"name": body}
        return _validate(SegmentRef, body, where)

    def _criterion(self, key: str, body: object, where: str) -> Criterion:
        if key in ("attribute", "trait"):
            _one_operator(body, where)
        parsed = _validate(_CRITERION_TYPES[key], {key: body}, where, strip=key)
        if isinstance(parsed, Trait):
            return _checked_trait(parsed, where)
        if isinstance(parsed, Attribute):
            _check_values(parsed.attribute, where, "a string", (str,))
        assert isinstance(parsed, Criterion)  # the table maps keys to criteria
        return parsed


def _validate(model: type[_N], data: object, where: str, strip: str | None = None) -> _N:
    try:
        return model.model_validate(data)
    except _ValidationError as exc:
        err = exc.errors()[0]
        loc = [x for x in err["loc"]]
        if strip is not None and loc and loc[0] == strip:
            loc = loc[1:]
        path = where
        for step in loc:
            path = _join(path, step if isinstance(step, int) else str(step))
        message = _message(err["type"], err["msg"], err.get("ctx") or {})
        raise _fail(path, message) from None


def _message(kind: str, msg: str, ctx: Mapping[str, object]) -> str:
    # pydantic's own wording, minus anything that would quote the input.
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return "must not contain a double quote or a backslash"
    if kind == "model_type":
        return "expected an object"
    return msg.split(", input")[0]


def _one_operator(body: object, where: str) -> None:
    if not isinstance(body, Mapping):
        raise _fail(where, "expected an object with a name and one operator")
    ops = [k for k in body if k in OPERATORS]
    if len(ops) != 1:
        found = ", ".join(ops) if ops else "none"
        raise _fail(where, f"exactly one operator of {', '.join(OPERATORS)}; got {found}")
    value = body[ops[0]]
    at = _join(where, ops[0])
    if ops[0] == "exists":
        if not isinstance(value, bool):
            raise _fail(at, "must be true or false")
        return
    if ops[0] == "in":
        if not isinstance(value, list):
            raise _fail(at, "expected a list of values")
        if not value:
            raise _fail(at, "must not be empty")
        if len(value) > MAX_LIST:
            raise _fail(at, f"at most {MAX_LIST} values")
        for i, item in enumerate(value):
            if (problem := _scalar_problem(item)) is not None:
                raise _fail(_join(at, i), problem)
    elif value is None:
        raise _fail(at, "needs a value")
    elif (problem := _scalar_problem(value)) is not None:
        raise _fail(at, problem)


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "must be a string or a number"
    if isinstance(value, str):
        if len(value) > MAX_VALUE:
            return f"longer than {MAX_VALUE} characters"
        return text_problem(value)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        return f"must be a finite number within ±{MAX_NUMBER}"
    return None


def _check_values(body: _Compare, where: str, what: str, types: tuple[type, ...]) -> None:
    op, value = body.op, body.value
    if op == "exists":
        return
    values = value if isinstance(value, tuple) else (value,)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, types):
            at = _join(_join(where, op), i) if op == "in" else _join(where, op)
            raise _fail(at, f"must be {what}")


def _checked_trait(parsed: Trait, where: str) -> Trait:
    body = parsed.trait
    name, op = body.name, body.op
    if name in _OTHER_CRITERION:
        raise _fail(
            _join(where, "name"),
            f"trait {name!r} is not comparable: use the {_OTHER_CRITERION[name]} criterion",
        )
    if name not in TRAITS:
        raise _fail(_join(where, "name"), "unknown trait; expected one of " + ", ".join(TRAITS))
    if name in LIST_TRAITS:
        if op not in ("contains", "exists"):
            raise _fail(_join(where, op), f"{name} takes contains or exists")
        _check_values(body, where, "a string", (str,))
        return parsed
    if op == "contains":
        raise _fail(_join(where, op), "contains applies to " + ", ".join(LIST_TRAITS))
    if name in NUMERIC_TRAITS:
        _check_values(body, where, "a number", (int, float))
        return parsed
    _check_values(body, where, "an ISO-8601 datetime", (str,))
    if op == "exists":
        return parsed
    # Stored timestamps are canonical UTC text: compared as text, so normalise to it.
    values = body.value if isinstance(body.value, tuple) else (body.value,)
    canonical = []
    for i, v in enumerate(values):
        try:
            canonical.append(canonical_ts(str(v)))
        except ValueError:
            at = _join(_join(where, op), i) if op == "in" else _join(where, op)
            raise _fail(at, "must be an ISO-8601 datetime") from None
    field = "in_" if op == "in" else op
    new = tuple(canonical) if op == "in" else canonical[0]
    return Trait(trait=body.model_copy(update={field: new}))


def canonical_ts(text: str) -> str:
    """ISO-8601 as the stores keep timestamps: UTC, microseconds, `Z` (sorts as text)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range in UTC") from None
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_segment(data: object) -> Expr:
    """The expression of a segment's JSON; SegmentError naming the path of what is wrong."""
    return _Parser().expr(data, "", 1)


def check_limits(expr: Expr) -> None:
    """Depth and node limits of an expression built otherwise (after `resolve`)."""
    depth, nodes = measure(expr)
    if depth > MAX_DEPTH:
        raise _fail("", f"nested deeper than {MAX_DEPTH} levels (with its named segments)")
    if nodes > MAX_NODES:
        raise _fail("", f"more than {MAX_NODES} nodes (with its named segments)")


def measure(expr: Expr) -> tuple[int, int]:
    """(depth, number of nodes), counted as `parse_segment` counts them."""
    kids = children(expr)
    if not kids:
        return 1, 1
    sizes = [measure(k) for k in kids]
    return 1 + max(d for d, _ in sizes), 1 + sum(n for _, n in sizes)


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, And):
        return expr.and_
    if isinstance(expr, Or):
        return expr.or_
    if isinstance(expr, Not):
        return (expr.not_,)
    if isinstance(expr, Except):
        return (expr.except_.from_, *expr.except_.remove)
    return ()


def dump_segment(expr: Expr) -> dict[str, object]:
    """The JSON of an expression, as `parse_segment` reads it back."""
    out: dict[str, object] = expr.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out


def activity_of(expr: Expr) -> tuple[str, str | None, int | None, int] | None:
    """(activity kind, target or None, within_days, at_least) of a bought, viewed or exposed
    criterion; None for any other node."""
    if isinstance(expr, Bought):
        b = expr.bought
        return "PURCHASED", b.product, b.within_days, b.at_least
    if isinstance(expr, Viewed):
        v = expr.viewed
        return "VIEWED", v.product, v.within_days, v.at_least
    if isinstance(expr, Exposed):
        e = expr.exposed
        return "EXPOSED_TO", e.campaign, e.within_days, e.at_least
    return None


_KINDS: dict[type[_Node], str] = {
    And: "and",
    Or: "or",
    Not: "not",
    Except: "except",
    InSegment: "in_segment",
    **{model: key for key, model in _CRITERION_TYPES.items()},
}


def kind(expr: Expr) -> str:
    """The key naming a node in its JSON."""
    return _KINDS[type(expr)]
