"""Estimating the model: u from random pairs, m and the prior by EM on blocked pairs.

1. u (`estimate_u`): the exact-match level's u is computed exactly from value counts
   (sum over values of count*(count-1), over all ordered pairs of non-missing rows); a
   seeded random sample of non-missing pairs then splits the remaining probability over the
   fuzzy levels and "else".
2. m and the prior (`expectation_maximisation` in fellegi_sunter.py): on the distinct
   comparison vectors of the candidate pairs, u held fixed, iterated to convergence.
   Then no agreement level may weigh less than "else" (`enforce_ordinal`), and fields
   no record has get neutral levels.
3. Term frequencies of comparisons with `term_frequency=True` (term_frequency.py).
4. Optional: steward decisions as labelled pairs (`refine_with_labels`), clamped in EM.

Pairs are streamed through blocking and comparison and only their pattern counts are kept,
so training memory does not grow with the number of candidate pairs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from identity_graph.matching.blocking import BlockingReport, iter_candidate_pairs
from identity_graph.matching.comparisons import (
    EXACT_LEVEL,
    ComparisonSpec,
    LevelArray,
    compare,
    compare_field,
    swap_levels,
)
from identity_graph.matching.fellegi_sunter import (
    FloatArray,
    LevelMatrix,
    PatternCounts,
    default_m_start,
    enforce_ordinal,
    expectation_maximisation,
    normalize_levels,
)
from identity_graph.matching.model import MatchModel, TrainingStats
from identity_graph.matching.records import IntArray, MatchRecord, RecordTable, as_table
from identity_graph.matching.settings import MatchSettings, default_settings, u_sample_size
from identity_graph.matching.term_frequency import build_term_frequencies

Records = RecordTable | Iterable[MatchRecord] | Iterable[Mapping[str, object]]
LabelledPair = tuple[str, str, bool]


def total_pairs(table: RecordTable, link_type: str) -> float:
    """How many pairs the link type allows: the denominator of the prior."""
    n = len(table)
    if link_type == "link":
        counts = np.bincount(table.sources.astype(np.int64))
        return float((counts.sum() ** 2 - (counts.astype(np.float64) ** 2).sum()) / 2)
    return n * (n - 1) / 2.0


def _row_groups(table: RecordTable, link_type: str) -> tuple[IntArray, IntArray] | None:
    """For link jobs, rows of source 0 and rows of the other sources; None for dedupe."""
    if link_type != "link":
        return None
    first = np.flatnonzero(table.sources == 0)
    return first, np.flatnonzero(table.sources != 0)


def sample_pairs(
    table: RecordTable, rows: IntArray, n: int, rng: np.random.Generator, link_type: str
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


def exact_match_u(table: RecordTable, spec: ComparisonSpec, link_type: str) -> float:
    """P(values equal | random pair, both present), exactly, from value counts."""
    enc = table.encoded(spec.field)
    present = enc.codes >= 0
    groups = _row_groups(table, link_type)
    if groups is not None:
        ca = enc.codes[groups[0]]
        cb = enc.codes[groups[1]]
        ca, cb = ca[ca >= 0], cb[cb >= 0]
        if len(ca) == 0 or len(cb) == 0:
            return 0.0
        na = np.bincount(ca, minlength=len(enc.vocab)).astype(np.float64)
        nb = np.bincount(cb, minlength=len(enc.vocab)).astype(np.float64)
        return float((na * nb).sum() / (len(ca) * len(cb)))
    c = enc.counts.astype(np.float64)
    n = float(np.count_nonzero(present))
    if n < 2:
        return 0.0
    return float((c * (c - 1)).sum() / (n * (n - 1)))


# The swapped level is rare among random pairs and costs two extra scorer calls per pair,
# so its share of "else" is measured on a subsample (half) of the else pairs.
SWAP_SUBSAMPLE_SHARE = 0.5


def estimate_u(
    table: RecordTable, specs: Sequence[ComparisonSpec], link_type: str, n_pairs: int, seed: int
) -> tuple[list[FloatArray], int]:
    """u per comparison level; returns the u arrays and the pairs sampled."""
    rng = np.random.default_rng(seed)
    out: list[FloatArray] = []
    sampled = 0
    for spec in specs:
        enc = table.encoded(spec.field)
        rows = np.flatnonzero(enc.codes >= 0)
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


@dataclass
class _Compared:
    """Compared candidate pairs, kept only when small enough to reuse for scoring."""

    left: list[IntArray]
    right: list[IntArray]
    levels: list[LevelMatrix]


def _compare_candidates(
    table: RecordTable, settings: MatchSettings, keep_pairs: int
) -> tuple[PatternCounts, BlockingReport, _Compared | None, int]:
    specs = settings.comparisons
    counter = PatternCounts(tuple(s.n_levels for s in specs))
    report = BlockingReport([])
    kept: _Compared | None = _Compared([], [], [])
    n = 0
    for a, b in iter_candidate_pairs(
        table,
        settings.rules(),
        link_type=settings.link_type,
        max_block_size=settings.max_block_size,
        report=report,
    ):
        levels = compare(specs, table, a, b)
        counter.add(levels)
        n += len(a)
        if kept is not None:
            if n > keep_pairs:
                kept = None
            else:
                kept.left.append(a)
                kept.right.append(b)
                kept.levels.append(levels)
    return counter, report, kept, n


def _labelled_patterns(
    table: RecordTable, specs: Sequence[ComparisonSpec], labels: Sequence[LabelledPair]
) -> tuple[PatternCounts, np.ndarray, LevelArray]:
    a = table.positions(x for x, _, _ in labels)
    b = table.positions(y for _, y, _ in labels)
    levels = compare(specs, table, a, b)
    is_match = np.array([m for _, _, m in labels], dtype=bool)
    counts = PatternCounts(tuple(s.n_levels for s in specs))
    # Matches and non-matches are counted separately so a pattern's label stays defined.
    counts_match = PatternCounts(counts.n_levels)
    counts_match.add(levels[is_match])
    counts_non = PatternCounts(counts.n_levels)
    counts_non.add(levels[~is_match])
    counts.patterns = np.concatenate((counts_match.patterns, counts_non.patterns))
    counts.counts = np.concatenate((counts_match.counts, counts_non.counts))
    flags = np.concatenate(
        (np.ones(len(counts_match.counts), bool), np.zeros(len(counts_non.counts), bool))
    )
    return counts, flags, levels


def _remove_patterns(counter: PatternCounts, levels: LevelMatrix) -> None:
    """Take labelled pairs that blocking also produced out of the free EM counts."""
    radix = counter._radix()
    codes: IntArray = np.asarray(counter.patterns.astype(np.int64) @ radix)
    drop: IntArray = np.asarray(levels.astype(np.int64) @ radix)
    uniq, n_dropped = np.unique(drop, return_counts=True)
    n = np.asarray(n_dropped, dtype=np.float64)
    pos = np.searchsorted(codes, uniq)
    ok = (pos < len(codes)) & (codes[np.minimum(pos, len(codes) - 1)] == uniq)
    counter.counts[pos[ok]] = np.maximum(counter.counts[pos[ok]] - n[ok], 0.0)


@dataclass
class TrainingResult:
    model: MatchModel
    compared: _Compared | None
    table: RecordTable
    report: BlockingReport


def fit_table(
    table: RecordTable,
    settings: MatchSettings,
    labels: Sequence[LabelledPair],
    label_weight: float,
    keep_pairs: int,
) -> TrainingResult:
    """Train on a table. Keeps the compared candidate pairs for reuse by `fit_predict` when
    there are at most `keep_pairs` of them."""
    started = time.perf_counter()
    specs = settings.comparisons
    u, sampled = estimate_u(
        table, specs, settings.link_type, u_sample_size(settings, len(table)), settings.seed
    )

    counter, report, compared, n_candidates = _compare_candidates(table, settings, keep_pairs)
    n_total = max(total_pairs(table, settings.link_type), 1.0)
    labelled = flags = None
    if labels:
        labelled, flags, lab_levels = _labelled_patterns(table, specs, labels)
        cand = _candidate_set(table, settings, compared)
        in_cand = np.array([(x, y) in cand or (y, x) in cand for x, y, _ in labels], bool)
        _remove_patterns(counter, lab_levels[in_cand])
    m_start = [default_m_start(s.n_levels) for s in specs]
    # Start as if a tenth of the candidates matched; EM moves it quickly from there.
    prior_start = settings.fixed_prior or max(0.1 * counter.total / n_total, 1e-9)
    em = expectation_maximisation(
        counter,
        u,
        m_start,
        prior_start,
        n_total,
        labelled=labelled,
        labelled_is_match=flags,
        label_weight=label_weight,
        max_iterations=settings.em_max_iterations,
        tolerance=settings.em_tolerance,
        pseudo_count=settings.em_pseudo_count,
    )
    m = enforce_ordinal(em.m, u)
    for k, spec in enumerate(specs):
        if np.count_nonzero(table.encoded(spec.field).codes >= 0) < 2:
            # A field (almost) no record has: nothing to learn, so every level is neutral.
            m[k] = u[k] = normalize_levels(np.ones(spec.n_levels))
    prior = settings.fixed_prior or em.prior
    stats = TrainingStats(
        records=len(table),
        total_pairs=n_total,
        candidate_pairs=n_candidates,
        distinct_patterns=len(counter.counts),
        u_sample_pairs=sampled,
        em_iterations=em.iterations,
        em_converged=em.converged,
        expected_matches=em.expected_matches,
        labelled_pairs=len(labels),
        seconds=time.perf_counter() - started,
        blocking=report.as_dict(),
    )
    tfs = {
        s.label: tf
        for s in specs
        if s.term_frequency and (tf := build_term_frequencies(table, s)) is not None
    }
    model = MatchModel.from_parameters(
        settings, m, u, prior, stats, trained_at=dt.datetime.now(dt.UTC), term_frequencies=tfs
    )
    return TrainingResult(model, compared, table, report)


def _candidate_set(
    table: RecordTable, settings: MatchSettings, compared: _Compared | None
) -> set[tuple[str, str]]:
    ids = table.ids
    if compared is not None:
        pairs = zip(
            np.concatenate(compared.left or [np.zeros(0, np.int64)]).tolist(),
            np.concatenate(compared.right or [np.zeros(0, np.int64)]).tolist(),
            strict=True,
        )
        return {(ids[a], ids[b]) for a, b in pairs}
    out: set[tuple[str, str]] = set()
    for a, b in iter_candidate_pairs(
        table,
        settings.rules(),
        link_type=settings.link_type,
        max_block_size=settings.max_block_size,
    ):
        out.update((ids[x], ids[y]) for x, y in zip(a.tolist(), b.tolist(), strict=True))
    return out


def train(
    records: Records,
    settings: MatchSettings | None = None,
    *,
    labels: Sequence[LabelledPair] = (),
    label_weight: float = 1.0,
) -> MatchModel:
    """Train a model on records (standardized `MatchRecord`s, a `RecordTable`, or raw dicts
    with a `record_id`, which are standardized with the default `Standardizer`)."""
    table = as_table(records)
    return fit_table(table, settings or default_settings(), labels, label_weight, 0).model


def refine_with_labels(
    model: MatchModel,
    records: Records,
    labels: Sequence[LabelledPair],
    *,
    label_weight: float = 1.0,
) -> MatchModel:
    """Retrain with steward decisions `(record_a, record_b, is_match)` clamped in EM.

    A labelled match pulls m toward its comparison vector; a labelled non-match that
    blocking produced is removed from EM's free pairs, so it can no longer pass as a
    partial match. u stays from random pairs: stewards label hard cases, not random ones.
    """
    table = as_table(records)
    return fit_table(table, model.settings, labels, label_weight, 0).model
