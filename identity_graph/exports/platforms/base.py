"""What every ad platform module shares: the person handed in, the platform, its rows.

A platform turns one person into rows, ONE ROW PER EXPORTED IDENTIFIER: the ledger diffs
rows to find what to add and remove, so an identifier must stand alone on its row. Columns
that describe the person (names, country, postcode) repeat on each of that person's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import normalize as n

Row = tuple[str, ...]
# (identifier type, reason): a value that could not be exported, told without the value.
OnSkip = Callable[[str, str], None]
# A stored value in, the column's value out; raises InvalidValue with a reason to skip it.
KeyFn = Callable[[str, str], str]
# The person's attributes in, the person-wide columns out (column index -> value).
FillFn = Callable[[Mapping[str, str], OnSkip], dict[int, str]]


@dataclass(frozen=True, slots=True)
class ExportPerson:
    person_id: str
    identifiers: list[tuple[str, str]]  # (type, stored normalized value)
    attributes: dict[str, str]  # surviving: given_name, surname, birth_date, postcode, ...


def _ignore(_type: str, _reason: str) -> None:
    return None


def _no_fill(_attributes: Mapping[str, str], _on_skip: OnSkip) -> dict[int, str]:
    return {}


@dataclass(frozen=True, slots=True)
class RowSpec:
    """How one platform lays a person out: which identifier types go in which column."""

    columns: tuple[str, ...]
    keys: Mapping[str, tuple[int, KeyFn]]  # identifier type -> (column, key function)
    fill: FillFn = _no_fill

    def rows(self, person: ExportPerson, region: str, on_skip: OnSkip) -> Iterator[Row]:
        filled = [""] * len(self.columns)
        for column, value in self.fill(person.attributes, on_skip).items():
            filled[column] = value
        keys = self.keys
        rows: list[Row] = []
        for type_, value in person.identifiers:
            key = keys.get(type_)
            if key is None:
                continue  # a type this platform does not take (cookie, loyalty_id, ...)
            column, fn = key
            try:
                out = fn(value, region)
            except InvalidValue as exc:
                on_skip(type_, str(exc))
                continue
            row = filled.copy()
            row[column] = out
            rows.append(tuple(row))
        if len(rows) > 1:
            # Two stored values that normalize alike (a gmail address with and without
            # dots) are one row, and the order never depends on the store's order.
            rows = sorted(set(rows))
        return iter(rows)


@dataclass(frozen=True, slots=True)
class Platform:
    """One ad platform's audience upload: its columns, limits, and how a person becomes rows."""

    name: str
    spec: RowSpec = field(repr=False)
    batch_size: int  # members (rows) per upload request
    min_audience: int  # matched members below which the platform will not serve the audience
    default_region: str = "US"  # for phones stored without a country code

    @property
    def columns(self) -> tuple[str, ...]:
        return self.spec.columns

    def rows(
        self, person: ExportPerson, region: str | None = None, on_skip: OnSkip | None = None
    ) -> Iterator[Row]:
        """The person's rows, sorted; values that cannot be exported are told to `on_skip`."""
        return self.spec.rows(person, region or self.default_region, on_skip or _ignore)

    def with_region(self, region: str) -> Platform:
        return replace(self, default_region=region.upper())


def attempt(
    attributes: Mapping[str, str], attr: str, fn: Callable[[str], str], on_skip: OnSkip
) -> str | None:
    """fn of the attribute, None when it is missing or cannot be normalized (told on_skip)."""
    raw = attributes.get(attr)
    if raw is None:
        return None
    try:
        return fn(raw)
    except InvalidValue as exc:
        on_skip(attr, str(exc))
        return None


def hashed(fn: Callable[[str], str]) -> KeyFn:
    """A key column holding SHA-256 of fn's normalized value."""
    return lambda value, _region: hashlib.sha256(fn(value).encode()).hexdigest()


def hashed_phone(fn: Callable[[str, str], str]) -> KeyFn:
    """Like `hashed`, for a phone normalizer that needs the default region."""
    return lambda value, region: hashlib.sha256(fn(value, region).encode()).hexdigest()


def plain(fn: Callable[[str], str]) -> KeyFn:
    """A key column holding fn's normalized value as it is (e.g. Meta's MADID)."""
    return lambda value, _region: fn(value)


def plain_email_keys(column: int) -> dict[str, tuple[int, KeyFn]]:
    """email and hashed_email in one column, for platforms whose email rule is trim and
    lower-case only: the rule a stored hashed_email is taken to have had, so it goes as is."""
    return {"email": (column, hashed(n.email)), "hashed_email": (column, plain(n.hashed_email))}
