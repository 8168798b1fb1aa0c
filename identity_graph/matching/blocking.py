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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import jellyfish
import numpy as np
import numpy.typing as npt

from identity_graph.matching.table import IntArray, RecordTable

U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_MAX_BLOCK_SIZE = 1_000


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


# -- reports --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkippedBlock:
    rule: str
    key: str
    size: int


@dataclass(slots=True)
class RuleReport:
    rule: str
    pairs: int = 0  # pairs the rule's blocks produced
    new_pairs: int = 0  # of those, pairs no earlier rule produced
    blocks: int = 0
    largest_block: int = 0
    skipped: list[SkippedBlock] = field(default_factory=list)


@dataclass(slots=True)
class BlockingReport:
    rules: list[RuleReport]

    @property
    def total_pairs(self) -> int:
        return sum(r.new_pairs for r in self.rules)

    @property
    def skipped_blocks(self) -> list[SkippedBlock]:
        return [s for r in self.rules for s in r.skipped]

    def pairs_by_rule(self) -> dict[str, int]:
        """`{rule: pairs}`: pairs each rule produced on its own (a pair can count for
        several rules here; `total_pairs` counts it once)."""
        return {r.rule: r.pairs for r in self.rules}

    def as_dict(self) -> dict[str, object]:
        return {
            "total_pairs": self.total_pairs,
            "rules": [
                {
                    "rule": r.rule,
                    "pairs": r.pairs,
                    "new_pairs": r.new_pairs,
                    "blocks": r.blocks,
                    "largest_block": r.largest_block,
                    "skipped_blocks": [{"key": s.key, "size": s.size} for s in r.skipped],
                }
                for r in self.rules
            ],
        }


@dataclass(slots=True)
class CandidatePairs:
    """Candidate pairs as row indices into `ids` (left < right for one table)."""

    left: IntArray
    right: IntArray
    ids: Sequence[str]
    report: BlockingReport

    def __len__(self) -> int:
        return len(self.left)

    def id_pairs(self) -> list[tuple[str, str]]:
        ids = self.ids
        return [
            (ids[a], ids[b]) for a, b in zip(self.left.tolist(), self.right.tolist(), strict=True)
        ]


# -- blocking a table -----------------------------------------------------------------------

LinkType = Literal["dedupe", "link", "link_and_dedupe"]


@dataclass(slots=True)
class _RuleState:
    rule: BlockingRule
    keys: U64
    ok: BoolArray
    skipped_rows: BoolArray  # rows whose block for this rule was skipped


def _pair_filter(
    link_type: LinkType, sources: npt.NDArray[np.int8]
) -> Callable[[IntArray, IntArray], BoolArray] | None:
    if link_type == "dedupe":
        return None
    if link_type == "link":
        return lambda a, b: sources[a] != sources[b]
    if link_type == "link_and_dedupe":
        return None
    raise ValueError(f"unknown link_type {link_type!r}")


def _describe_key(rule: BlockingRule, table: RecordTable, row: int) -> str:
    parts = []
    for key in rule.keys:
        values = [table.column(f)[row] for f in key.fields]
        if key.function and key.function != "unordered":
            values = [KEY_FUNCTIONS[key.function](v) if v is not None else None for v in values]
        parts.append(f"{key}={'/'.join(str(v) for v in values)}")
    return ", ".join(parts)


def _groups(keys: U64, ok: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Rows sorted by key, and the start and size of each run of equal keys."""
    rows = np.flatnonzero(ok)
    order = rows[np.argsort(keys[rows], kind="stable")]
    sk = keys[order]
    if len(sk) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return order.astype(np.int64), empty, empty
    change = np.flatnonzero(sk[1:] != sk[:-1]) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    sizes = np.diff(np.concatenate((starts, [len(sk)]))).astype(np.int64)
    return order.astype(np.int64), starts, sizes


def _pairs_in_groups(
    members: IntArray, starts: IntArray, size: int, chunk_pairs: int
) -> Iterator[tuple[IntArray, IntArray]]:
    """All pairs inside equal-size groups, vectorised: a (groups x size) member matrix
    indexed by the upper triangle."""
    iu, ju = np.triu_indices(size, 1)
    per_group = len(iu)
    step = max(1, chunk_pairs // per_group)
    offsets = np.arange(size)
    for s in range(0, len(starts), step):
        m = members[starts[s : s + step, None] + offsets]
        a, b = m[:, iu].ravel(), m[:, ju].ravel()
        yield np.minimum(a, b), np.maximum(a, b)


def iter_candidate_pairs(
    table: RecordTable,
    rules: Sequence[BlockingRule],
    *,
    link_type: LinkType = "dedupe",
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    chunk_pairs: int = 1_000_000,
    report: BlockingReport | None = None,
) -> Iterator[tuple[IntArray, IntArray]]:
    """Stream the union of the rules' pairs in chunks of about `chunk_pairs`, each pair once.

    Memory stays bounded by the chunk size: deduplication tests a pair against the earlier
    rules' keys instead of remembering every pair seen. Fills `report` as it goes.
    """
    report = report if report is not None else BlockingReport([])
    buf_a: list[IntArray] = []
    buf_b: list[IntArray] = []
    buffered = 0
    # Small blocks give many tiny arrays; batching them keeps per-call overheads (numpy,
    # rapidfuzz thread start-up) negligible downstream.
    for a, b in _iter_rule_pairs(table, rules, link_type, max_block_size, chunk_pairs, report):
        buf_a.append(a)
        buf_b.append(b)
        buffered += len(a)
        if buffered >= chunk_pairs:
            yield np.concatenate(buf_a), np.concatenate(buf_b)
            buf_a, buf_b, buffered = [], [], 0
    if buffered:
        yield np.concatenate(buf_a), np.concatenate(buf_b)


def _iter_rule_pairs(
    table: RecordTable,
    rules: Sequence[BlockingRule],
    link_type: LinkType,
    max_block_size: int,
    chunk_pairs: int,
    report: BlockingReport,
) -> Iterator[tuple[IntArray, IntArray]]:
    keep = _pair_filter(link_type, table.sources)
    done: list[_RuleState] = []
    for rule in rules:
        cap = rule.max_block_size or max_block_size
        keys, ok = rule_keys(rule, table)
        members, starts, sizes = _groups(keys, ok)
        rr = RuleReport(
            rule.name,
            blocks=int(np.count_nonzero(sizes >= 2)),
            largest_block=int(sizes.max()) if len(sizes) else 0,
        )
        report.rules.append(rr)
        skipped_rows = np.zeros(len(table), dtype=bool)
        for g in np.flatnonzero(sizes > cap):
            rows = members[starts[g] : starts[g] + sizes[g]]
            skipped_rows[rows] = True
            rr.skipped.append(
                SkippedBlock(rule.name, _describe_key(rule, table, int(rows[0])), int(sizes[g]))
            )
        state = _RuleState(rule, keys, ok, skipped_rows)
        for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
            for a, b in _pairs_in_groups(members, starts[sizes == size], size, chunk_pairs):
                if keep is not None:
                    m = keep(a, b)
                    a, b = a[m], b[m]
                rr.pairs += len(a)
                for prev in done:
                    seen = prev.ok[a] & prev.ok[b] & (prev.keys[a] == prev.keys[b])
                    seen &= ~prev.skipped_rows[a]
                    a, b = a[~seen], b[~seen]
                rr.new_pairs += len(a)
                if len(a):
                    yield a, b
        done.append(state)


def block(
    table: RecordTable,
    rules: Iterable[BlockingRule | str | Sequence[str]],
    *,
    link_type: LinkType = "dedupe",
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
) -> CandidatePairs:
    """All candidate pairs of a table (union of rules, each pair once), sorted."""
    report = BlockingReport([])
    chunks = list(
        iter_candidate_pairs(
            table,
            as_rules(rules),
            link_type=link_type,
            max_block_size=max_block_size,
            report=report,
        )
    )
    if chunks:
        left = np.concatenate([c[0] for c in chunks])
        right = np.concatenate([c[1] for c in chunks])
        order = np.lexsort((right, left))
        left, right = left[order], right[order]
    else:
        left = right = np.zeros(0, dtype=np.int64)
    return CandidatePairs(left, right, table.ids, report)


# -- incremental ----------------------------------------------------------------------------


class BlockingIndex:
    """Block keys of existing records, to find candidates for a batch of new records.

    Holds per rule the 64-bit key hash of every record plus a sorted copy for lookups
    (about 24 bytes per record and rule), never the records themselves. Records added
    after the last full sort go to a small separately sorted "delta" that is merged into
    the main sorted arrays once it reaches an eighth of them, so adding a batch and
    looking up the next one stays cheap on millions of records.
    """

    def __init__(
        self,
        rules: Iterable[BlockingRule | str | Sequence[str]],
        *,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    ) -> None:
        self.rules = as_rules(rules)
        self.max_block_size = max_block_size
        self.ids: list[str] = []
        self._keys: list[U64] = [np.zeros(0, dtype=np.uint64) for _ in self.rules]
        self._ok: list[BoolArray] = [np.zeros(0, dtype=bool) for _ in self.rules]
        self._main: list[tuple[U64, IntArray]] | None = None  # sorted rows [0, _main_n)
        self._main_n = 0
        self._delta: list[tuple[U64, IntArray]] | None = None  # sorted rows [_main_n, n)

    @classmethod
    def build(
        cls,
        rules: Iterable[BlockingRule | str | Sequence[str]],
        existing: RecordTable,
        *,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    ) -> BlockingIndex:
        index = cls(rules, max_block_size=max_block_size)
        index.add(existing)
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, records: RecordTable) -> None:
        """Index more existing records (e.g. a batch once it has been linked)."""
        overlap = set(records.ids).intersection(self.ids)
        if overlap:
            raise ValueError(f"records already indexed: {sorted(overlap)[:3]}")
        for r, rule in enumerate(self.rules):
            keys, ok = rule_keys(rule, records)
            self._keys[r] = np.concatenate((self._keys[r], keys))
            self._ok[r] = np.concatenate((self._ok[r], ok))
        self.ids.extend(records.ids)
        self._delta = None

    @staticmethod
    def _sort(keys: U64, ok: BoolArray, start: int) -> tuple[U64, IntArray]:
        rows = start + np.flatnonzero(ok[start:])
        order = rows[np.argsort(keys[rows], kind="stable")].astype(np.int64)
        return keys[order], order

    def _levels(self) -> list[list[tuple[U64, IntArray]]]:
        """Per rule, the sorted (keys, rows) levels to search: main and delta."""
        n = len(self.ids)
        if self._main is None or n - self._main_n > max(50_000, self._main_n // 8):
            self._main = [self._sort(k, ok, 0) for k, ok in zip(self._keys, self._ok, strict=True)]
            self._main_n, self._delta = n, None
        if self._delta is None:
            self._delta = [
                self._sort(k, ok, self._main_n) for k, ok in zip(self._keys, self._ok, strict=True)
            ]
        return [[m, d] for m, d in zip(self._main, self._delta, strict=True)]

    def candidates(self, new: RecordTable) -> CandidatePairs:
        """Pairs new x existing and new x new only (existing x existing were done before).

        Indices refer to `ids = existing ids + new ids`; `id_pairs()` gives record IDs with
        the new record first in new x existing pairs.
        """
        n_old = len(self.ids)
        overlap = set(new.ids).intersection(self.ids)
        if overlap:
            raise ValueError(f"records already indexed: {sorted(overlap)[:3]}")
        levels = self._levels()
        report = BlockingReport([])
        out_a: list[IntArray] = []
        out_b: list[IntArray] = []
        done: list[tuple[U64, BoolArray, BoolArray]] = []  # new keys, ok, skipped (new rows)
        for r, rule in enumerate(self.rules):
            cap = rule.max_block_size or self.max_block_size
            keys, ok = rule_keys(rule, new)
            ranges = []
            n_exist = np.zeros(len(new), dtype=np.int64)
            for sk, srows in levels[r]:
                lo = np.searchsorted(sk, keys, side="left")
                hi = np.searchsorted(sk, keys, side="right")
                ranges.append((lo, np.where(ok, hi - lo, 0), srows))
                n_exist += ranges[-1][1]
            members, starts, sizes = _groups(keys, ok)
            n_new = np.zeros(len(new), dtype=np.int64)
            n_new[members] = np.repeat(sizes, sizes)
            block_size = n_exist + n_new
            skipped = ok & (block_size > cap)
            rr = RuleReport(rule.name, largest_block=int(block_size.max(initial=0)))
            report.rules.append(rr)
            seen_keys: set[int] = set()
            for i in np.flatnonzero(skipped).tolist():
                if int(keys[i]) not in seen_keys:
                    seen_keys.add(int(keys[i]))
                    rr.skipped.append(
                        SkippedBlock(rule.name, _describe_key(rule, new, i), int(block_size[i]))
                    )
            # new x existing: expand each new row's [lo, hi) range of matching old rows.
            a_parts: list[IntArray] = []
            b_parts: list[IntArray] = []
            for lo, count, srows in ranges:
                rows_new = np.flatnonzero(ok & ~skipped & (count > 0))
                counts = count[rows_new]
                a = np.repeat(rows_new, counts)
                offset = np.arange(len(a)) - np.repeat(np.cumsum(counts) - counts, counts)
                a_parts.append(a)
                b_parts.append(srows[np.repeat(lo[rows_new], counts) + offset])
            a = np.concatenate(a_parts).astype(np.int64)
            b_old = np.concatenate(b_parts).astype(np.int64)
            # new x new: pairs inside groups of the new batch (same as `block`).
            nn_a: list[IntArray] = []
            nn_b: list[IntArray] = []
            for size in np.unique(sizes[sizes >= 2]).tolist():
                sel = starts[sizes == size]
                sel = sel[~skipped[members[sel]]]
                for x, y in _pairs_in_groups(members, sel, size, 1_000_000):
                    nn_a.append(x)
                    nn_b.append(y)
            pa = np.concatenate([a, *nn_a]).astype(np.int64)
            pb_new = np.concatenate([np.full(len(a), -1, np.int64), *nn_b]).astype(np.int64)
            pb_old = np.concatenate([b_old, np.full(len(pa) - len(a), -1, np.int64)])
            rr.blocks = int(np.count_nonzero(n_exist[ok & ~skipped] > 0)) + len(nn_a)
            rr.pairs = len(pa)
            # Drop pairs an earlier rule produced: same key there and that block not skipped.
            keep = np.ones(len(pa), dtype=bool)
            is_old = pb_old >= 0
            for k, (pkeys, pok, pskip) in enumerate(done):
                other_key = np.zeros(len(pa), dtype=np.uint64)
                other_ok = np.zeros(len(pa), dtype=bool)
                other_key[is_old] = self._keys[k][pb_old[is_old]]
                other_ok[is_old] = self._ok[k][pb_old[is_old]]
                other_key[~is_old] = pkeys[pb_new[~is_old]]
                other_ok[~is_old] = pok[pb_new[~is_old]]
                keep &= ~(pok[pa] & other_ok & (pkeys[pa] == other_key) & ~pskip[pa])
            pa, pb_new, pb_old = pa[keep], pb_new[keep], pb_old[keep]
            rr.new_pairs = len(pa)
            out_a.append(pa + n_old)
            out_b.append(np.where(pb_old >= 0, pb_old, pb_new + n_old))
            done.append((keys, ok, skipped))
        left = np.concatenate(out_a) if out_a else np.zeros(0, np.int64)
        right = np.concatenate(out_b) if out_b else np.zeros(0, np.int64)
        return CandidatePairs(left, right, [*self.ids, *new.ids], report)
