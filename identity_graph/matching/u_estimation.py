"""u, the probability of each agreement level among pairs that are not matches: the
exact level's u exactly from value counts, the other levels from a seeded random sample of
comparable pairs (see training.py for where it fits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from identity_graph.matching.blocking import BoolArray, LinkType
from identity_graph.matching.comparisons import (
    compare_field,
    swap_levels,
)
from identity_graph.matching.fellegi_sunter import FloatArray, normalize_levels
from identity_graph.matching.specs import (
    EXACT_LEVEL,
    ComparisonSpec,
)
from identity_graph.matching.table import IntArray, RecordTable


def total_pairs(table: RecordTable, link_type: LinkType) -> float:
    """How many pairs the link type allows: the denominator of the prior."""
    n = len(table)
    if link_type == "link":
        counts = np.bincount(table.sources.astype(np.int64))
        return float((counts.sum() ** 2 - (counts.astype(np.float64) ** 2).sum()) / 2)
    return n * (n - 1) / 2.0


def _row_groups(table: RecordTable, link_type: LinkType) -> tuple[IntArray, IntArray] | None:
    """For link jobs, rows of source 0 and rows of the other sources; None for dedupe."""
    if link_type != "link":
        return None
    first = np.flatnonzero(table.sources == 0)
    return first, np.flatnonzero(table.sources != 0)


def sample_pairs(
    table: RecordTable, rows: IntArray, n: int, rng: np.random.Generator, link_type: LinkType
) -> tuple[IntArray, IntArray]:
    """`n` uniform random pairs among `rows` (across sources for link jobs)."""
    groups = _row_groups(table, link_type)
    if groups is not None:
        a_rows = np.intersect1d(rows, groups[0])
        b_rows = np.intersect1d(rows, groups[1])
        if len(a_rows) == 0 or len(b_rows) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return (a_rows[rng.integers(0, len(a_rows), n)], b_rows[rng.integers(0, len(b_rows), n)])
    if len(rows) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i = rng.integers(0, len(rows), n)
    j = rng.integers(0, len(rows) - 1, n)
    j = j + (j >= i)  # uniform over the other rows: never a record with itself
    return rows[i], rows[j]


def comparable_rows(table: RecordTable, spec: ComparisonSpec) -> BoolArray:
    """Whether each row can give a non-null level: has the field, or for a several-field
    comparison at least two of its parts (a single part in common compares as null)."""
    enc = spec.column(table)
    if not spec.fields:
        return np.asarray(enc.codes >= 0)
    n_parts = np.array([bin(x).count("1") for x in range(1 << len(spec.fields))])
    return np.asarray(n_parts[enc.derived["parts"]] >= 2)


def exact_match_u(table: RecordTable, spec: ComparisonSpec, link_type: LinkType) -> float:
    """P(values equal | random pair, both comparable), exactly, from value counts."""
    enc = spec.column(table)
    codes = np.where(comparable_rows(table, spec), enc.codes, -1)
    groups = _row_groups(table, link_type)
    if groups is not None:
        ca, cb = codes[groups[0]], codes[groups[1]]
        ca, cb = ca[ca >= 0], cb[cb >= 0]
        if len(ca) == 0 or len(cb) == 0:
            return 0.0
        na = np.bincount(ca, minlength=len(enc.vocab)).astype(np.float64)
        nb = np.bincount(cb, minlength=len(enc.vocab)).astype(np.float64)
        return float((na * nb).sum() / (len(ca) * len(cb)))
    c = np.bincount(codes[codes >= 0], minlength=len(enc.vocab)).astype(np.float64)
    n = float(c.sum())
    if n < 2:
        return 0.0
    return float((c * (c - 1)).sum() / (n * (n - 1)))


# The swapped level is rare among random pairs and costs two extra scorer calls per pair,
# so its share of "else" is measured on a subsample (half) of the else pairs.
SWAP_SUBSAMPLE_SHARE = 0.5


def estimate_u(
    table: RecordTable,
    specs: Sequence[ComparisonSpec],
    link_type: LinkType,
    n_pairs: int,
    seed: int,
) -> tuple[list[FloatArray], int]:
    """u per comparison level; returns the u arrays and the pairs sampled."""
    rng = np.random.default_rng(seed)
    out: list[FloatArray] = []
    sampled = 0
    for spec in specs:
        rows = np.flatnonzero(comparable_rows(table, spec))
        a, b = sample_pairs(table, rows, n_pairs, rng, link_type)
        sampled += len(a)
        plain = spec.model_copy(update={"swap_with": None})
        levels = compare_field(plain, table, a, b)
        # Half a pair of smoothing per level: a level never seen among random pairs still
        # gets a finite (large) Bayes factor instead of an infinite one.
        counts = np.bincount(levels, minlength=plain.n_levels).astype(np.float64)[2:] + 0.5
        if spec.swap_with is not None:
            else_rows = np.flatnonzero(levels == plain.n_levels - 1)
            keep = int(SWAP_SUBSAMPLE_SHARE * n_pairs)
            if len(else_rows) > keep:
                else_rows = rng.choice(else_rows, keep, replace=False)
            sub = np.full(len(else_rows), spec.n_levels - 1, dtype=np.int8)
            swap_levels(spec, table, a[else_rows], b[else_rows], sub)
            swapped = (np.count_nonzero(sub == spec.n_levels - 2) + 0.5) / (len(sub) + 1.0)
            counts = np.concatenate(
                (counts[:-1], counts[-1:] * swapped, counts[-1:] * (1.0 - swapped))
            )
        p_exact = exact_match_u(table, spec, link_type)
        u = np.zeros(spec.n_levels, dtype=np.float64)
        u[EXACT_LEVEL] = p_exact
        u[2:] = (1.0 - p_exact) * counts / counts.sum()
        out.append(normalize_levels(u))
    return out, sampled
