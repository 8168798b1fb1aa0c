"""Blocking: which record pairs are worth comparing.

A blocking rule is a conjunction of keys (`postcode`, `soundex(surname) & year(date_of_birth)`):
two records are a candidate pair for the rule when every key is present and equal on both.
The candidate set is the union over rules. Three properties matter:

* each pair is produced once: rule k drops the pairs an earlier rule already produced
  (Splink's approach), so the union needs no global set and can be streamed in chunks;
* blocks larger than the cap are skipped and reported, never silently expanded into a
  quadratic number of pairs;
* incremental: `BlockingIndex` keeps only 64-bit key hashes of existing records and yields
  new x existing and new x new pairs for a batch of new records.

Keys are hashed with blake2b per distinct value (stable across processes, so an index can be
persisted) and mixed per row with vectorised arithmetic. A 64-bit collision can only add a
spurious candidate pair, never lose one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import jellyfish
import numpy as np
import numpy.typing as npt

from identity_graph.matching.table import RecordTable

U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_MAX_BLOCK_SIZE = 1_000
LinkType = Literal["dedupe", "link", "link_and_dedupe"]


def _non_empty(v: str) -> str | None:
    return v or None


def _email_local(v: str) -> str | None:
    local, sep, _ = v.partition("@")
    return local if sep and local else None


def _email_domain(v: str) -> str | None:
    _, sep, domain = v.partition("@")
    return domain if sep and domain else None


def _digits(v: str) -> str | None:
    return re.sub(r"\D", "", v) or None


def _year(v: str) -> str | None:
    # Dates are standardized to ISO, so the year is the first four characters.
    return v[:4] if len(v) >= 4 and v[:4].isdigit() else None


# Derived-key functions usable in rules as `name(field)`. Phonetic codes come from jellyfish
# (small, maintained, Rust-backed) rather than a home-grown implementation.
KEY_FUNCTIONS: dict[str, Callable[[str], str | None]] = {
    "soundex": lambda v: _non_empty(jellyfish.soundex(v)),
    "metaphone": lambda v: _non_empty(jellyfish.metaphone(v)),
    "nysiis": lambda v: _non_empty(jellyfish.nysiis(v)),
    "year": _year,
    "email_local": _email_local,
    "email_domain": _email_domain,
    "digits": _digits,
    "initial": lambda v: v[:1] or None,
    "first3": lambda v: v[:3] or None,
    "last4": lambda v: v[-4:] or None,
}

_KEY_RE = re.compile(r"^\s*(?:(\w+)\s*\(\s*([\w\s,]+?)\s*\)|(\w+))\s*$")


@dataclass(frozen=True, slots=True)
class BlockingKey:
    """One part of a rule: `func(field)`, a bare `field`, or `unordered(a, b)` (the pair of
    values regardless of order, e.g. to catch given name and surname swapped)."""

    function: str | None
    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> BlockingKey:
        m = _KEY_RE.match(text)
        if not m:
            raise ValueError(f"bad blocking key {text!r}; expected 'field' or 'func(field)'")
        if m.group(3):
            return cls(None, (m.group(3),))
        func, args = m.group(1), tuple(a.strip() for a in m.group(2).split(","))
        if func == "unordered":
            if len(args) != 2:
                raise ValueError(f"unordered() takes two fields: {text!r}")
            return cls(func, args)
        if func not in KEY_FUNCTIONS:
            known = ", ".join(sorted([*KEY_FUNCTIONS, "unordered"]))
            raise ValueError(f"unknown key function {func!r} in {text!r}; known: {known}")
        if len(args) != 1:
            raise ValueError(f"{func}() takes one field: {text!r}")
        return cls(func, args)

    def __str__(self) -> str:
        if self.function is None:
            return self.fields[0]
        return f"{self.function}({', '.join(self.fields)})"


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Records agreeing on every key form a block. `max_block_size` overrides the global cap."""

    keys: tuple[BlockingKey, ...]
    max_block_size: int | None = None

    @classmethod
    def parse(cls, spec: str | Sequence[str], max_block_size: int | None = None) -> BlockingRule:
        """`"given_name & surname"` or `["soundex(surname)", "year(date_of_birth)"]`."""
        parts = spec.split("&") if isinstance(spec, str) else list(spec)
        keys = tuple(BlockingKey.parse(p) for p in parts if p.strip())
        if not keys:
            raise ValueError(f"empty blocking rule {spec!r}")
        return cls(keys, max_block_size)

    @property
    def name(self) -> str:
        return " & ".join(str(k) for k in self.keys)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for k in self.keys for f in k.fields))

    def __str__(self) -> str:
        return self.name


def as_rules(rules: Iterable[BlockingRule | str | Sequence[str]]) -> list[BlockingRule]:
    return [r if isinstance(r, BlockingRule) else BlockingRule.parse(r) for r in rules]


# -- key hashing ----------------------------------------------------------------------------

_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash_str(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _value_hashes(table: RecordTable, fld: str, function: str | None) -> tuple[U64, BoolArray]:
    """Per-row hash of the (derived) value and whether it is present; derived once per
    distinct value."""
    enc = table.encoded(fld)
    fn = KEY_FUNCTIONS[function] if function else None
    vocab_hash = np.zeros(len(enc.vocab) + 1, dtype=np.uint64)
    vocab_ok = np.zeros(len(enc.vocab) + 1, dtype=bool)
    for c, v in enumerate(enc.vocab):
        d = fn(v) if fn else v
        if d is not None:
            vocab_hash[c] = _hash_str(f"{function}:{d}" if function else d)
            vocab_ok[c] = True
    # Code -1 (missing) indexes the extra last slot, which is "absent".
    return vocab_hash[enc.codes], vocab_ok[enc.codes]


def rule_keys(rule: BlockingRule, table: RecordTable) -> tuple[U64, BoolArray]:
    """64-bit block key per row and whether the row has every part of the key."""
    n = len(table)
    h = np.full(n, np.uint64(len(rule.keys)), dtype=np.uint64)
    ok = np.ones(n, dtype=bool)
    with np.errstate(over="ignore"):
        for key in rule.keys:
            if key.function == "unordered":
                ha, oka = _value_hashes(table, key.fields[0], None)
                hb, okb = _value_hashes(table, key.fields[1], None)
                part = np.minimum(ha, hb) * _MIX + np.maximum(ha, hb)
                part_ok = oka & okb
            else:
                part, part_ok = _value_hashes(table, key.fields[0], key.function)
            h = (h ^ part) * _MIX + np.uint64(0x632BE59BD9B4E019)
            h ^= h >> np.uint64(29)
            ok &= part_ok
    return h, ok
