"""Candidate pairs of a whole table: each rule's blocks expanded into pairs, each pair once
(a later rule drops what an earlier one produced), blocks over the cap skipped and reported."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from identity_graph.matching.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    KEY_FUNCTIONS,
    U64,
    BlockingRule,
    BoolArray,
    LinkType,
    as_rules,
    rule_keys,
)
from identity_graph.matching.table import IntArray, RecordTable

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


def describe_key(rule: BlockingRule, table: RecordTable, row: int) -> str:
    parts = []
    for key in rule.keys:
        values = [table.column(f)[row] for f in key.fields]
        if key.function and key.function != "unordered":
            values = [KEY_FUNCTIONS[key.function](v) if v is not None else None for v in values]
        parts.append(f"{key}={'/'.join(str(v) for v in values)}")
    return ", ".join(parts)


def key_groups(keys: U64, ok: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
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


def pairs_in_groups(
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
        members, starts, sizes = key_groups(keys, ok)
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
                SkippedBlock(rule.name, describe_key(rule, table, int(rows[0])), int(sizes[g]))
            )
        state = _RuleState(rule, keys, ok, skipped_rows)
        for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
            for a, b in pairs_in_groups(members, starts[sizes == size], size, chunk_pairs):
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
