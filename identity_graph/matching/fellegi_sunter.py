"""The Fellegi-Sunter model: m/u probabilities, match weights and EM.

Notation (as in Splink): for comparison k and level l,
`m[k][l] = P(level l | match)`, `u[k][l] = P(level l | non-match)`, the Bayes factor is
`m/u`, and `lambda` is the prior probability that two random records match. The match
weight of a pair is `log2(lambda / (1 - lambda)) + sum_k log2(m[k][l_k] / u[k][l_k])` and
its probability `2^w / (1 + 2^w)`. Level 0 ("null": a side is missing) has no m or u: its
Bayes factor is exactly 1, so a missing value is neither evidence for nor against.

EM works on *distinct comparison vectors* with their counts (`PatternCounts`): a few hundred
to a few thousand patterns stand for millions of pairs, so each iteration is microseconds
and training can stream pairs in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from identity_graph.matching.specs import (
    EXACT_LEVEL,
)

FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]

# Probabilities are kept away from 0 so no level gets an infinite Bayes factor from a
# sample that happened not to contain it.
PROBABILITY_FLOOR = 1e-7
# A conditional u (u_given) starts from this many pseudo-pairs distributed as the random-pair
# u: a stratum of a few dozen pairs (one small CRM's households) cannot make agreement
# worthless there on its own; thousands of household pairs still can speak for themselves.
U_CONDITIONAL_PSEUDO_PAIRS = 30.0


def prior_log2_odds(prior: float) -> float:
    return float(np.log2(prior) - np.log2(1.0 - prior))


def probability_from_weight(weight: FloatArray | float) -> FloatArray:
    """2^w / (1 + 2^w), computed without overflow for large |w|."""
    w = np.asarray(weight, dtype=np.float64)
    return np.asarray(0.5 * (1.0 + np.tanh(w * (np.log(2.0) / 2.0))), dtype=np.float64)


def weight_from_probability(p: float) -> float:
    return float(np.log2(p) - np.log2(1.0 - p))


def log2_bayes_factors(m: Sequence[FloatArray], u: Sequence[FloatArray]) -> list[FloatArray]:
    """Per comparison, log2(m/u) per level with level 0 (null) fixed at 0."""
    out = []
    for mk, uk in zip(m, u, strict=True):
        bf = np.zeros(len(mk), dtype=np.float64)
        bf[1:] = np.log2(np.maximum(mk[1:], PROBABILITY_FLOOR)) - np.log2(
            np.maximum(uk[1:], PROBABILITY_FLOOR)
        )
        out.append(bf)
    return out


def contributions(levels: LevelMatrix, tables: Sequence[FloatArray]) -> FloatArray:
    """(n_pairs, n_comparisons) matrix of log2 Bayes factors."""
    out = np.empty(levels.shape, dtype=np.float64)
    for k, table in enumerate(tables):
        out[:, k] = table[levels[:, k]]
    return out


def normalize_levels(p: FloatArray) -> FloatArray:
    """Floor and renormalise levels 1.. to sum to 1; level 0 (null) is stored as 0."""
    out = np.asarray(p, dtype=np.float64).copy()
    out[0] = 0.0
    out[1:] = np.maximum(out[1:], PROBABILITY_FLOOR)
    out[1:] /= out[1:].sum()
    return out


# -- distinct comparison vectors ------------------------------------------------------------


@dataclass
class PatternCounts:
    """Distinct comparison vectors with how many pairs had each (streamable)."""

    n_levels: tuple[int, ...]
    patterns: LevelMatrix = field(init=False)
    counts: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.patterns = np.zeros((0, len(self.n_levels)), dtype=np.int8)
        self.counts = np.zeros(0, dtype=np.float64)

    def _radix(self) -> npt.NDArray[np.int64]:
        return np.cumprod([1, *self.n_levels[:-1]]).astype(np.int64)

    def add(self, levels: LevelMatrix, weight: float = 1.0) -> None:
        self.add_counts(levels, np.full(len(levels), weight))

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    def without(self, dropped: Sequence[int]) -> PatternCounts:
        """The same pairs with comparisons `dropped` set to the null level (Bayes factor 1,
        so they no longer enter EM's likelihood), equal patterns merged."""
        out = PatternCounts(self.n_levels)
        if not len(self.counts):
            return out
        pats = self.patterns.copy()
        pats[:, list(dropped)] = 0
        out.add_counts(pats, self.counts)
        return out

    def add_counts(self, patterns: LevelMatrix, counts: FloatArray) -> None:
        """Add patterns with their counts (e.g. another PatternCounts')."""
        if len(patterns) == 0:
            return
        radix = self._radix()
        codes = np.concatenate(
            (self.patterns.astype(np.int64) @ radix, patterns.astype(np.int64) @ radix)
        )
        w = np.concatenate((self.counts, np.asarray(counts, dtype=np.float64)))
        uniq, inverse = np.unique(codes, return_inverse=True)
        self.counts = np.bincount(inverse.ravel(), weights=w, minlength=len(uniq)).astype(
            np.float64
        )
        self.patterns = self._decode(uniq)

    def _decode(self, codes: npt.NDArray[np.int64]) -> LevelMatrix:
        pats = np.empty((len(codes), len(self.n_levels)), dtype=np.int8)
        rem = codes.copy()
        for k, n in enumerate(self.n_levels):
            pats[:, k] = rem % n
            rem //= n
        return pats


def condition_holds(patterns: LevelMatrix, j: int, n_levels: int) -> npt.NDArray[np.bool_]:
    """Where a `u_given` condition on comparison j holds: j agrees exactly or at its
    closest fuzzy level (a typo in the address of two people living together is still one
    household). Not at looser levels, which hold for neighbours too and cost true
    duplicates far more recall than they save; nor where j is null and a fallback stands
    in for it (a loyalty card with a postcode only): pairs of a CRM row and a loyalty card
    at one postcode are mostly the same customer, and a u estimated among them takes the
    matches for non-matches."""
    levels = patterns[:, j]
    top = EXACT_LEVEL + 1 if n_levels > 3 else EXACT_LEVEL
    return np.asarray((levels >= EXACT_LEVEL) & (levels <= top))


# -- monotone levels ------------------------------------------------------------------------


def monotone_levels(
    counts: FloatArray, u: FloatArray, side: Sequence[int] = ()
) -> tuple[FloatArray, list[tuple[int, ...]]]:
    """m from expected match counts per level, with Bayes factors monotone in closeness.

    Levels 1.. run from most to least similar ("exact", fuzzy levels, "else"); `side`
    levels (a swap) are off that scale and must only weigh between "else" and "exact"
    (two swapped names are never more evidence than two exact ones). The unconstrained
    M-step gives m ~ counts; under the constraint that m/u does not increase along the
    levels, the maximum-likelihood m (u fixed) is u times the isotonic regression of
    counts/u with weights u (pool adjacent violators: a pooled block's ratio is
    sum(counts)/sum(u)). Returns m (normalized, floored) and the blocks of two or more
    levels that had to be pooled, i.e. where the data said a looser agreement was
    stronger evidence than a closer one.
    """
    blocks = monotone_blocks(counts, u, side)
    m = np.zeros(len(counts), dtype=np.float64)
    for levels, c, uu in blocks:
        for lvl in levels:
            m[lvl] = max(float(u[lvl]), PROBABILITY_FLOOR) * c / uu
    if m[1:].sum() <= 0:
        return normalize_levels(np.asarray(counts, dtype=np.float64)), []
    return normalize_levels(m), [tuple(sorted(b)) for b, _, _ in blocks if len(b) > 1]


def monotone_u(m: FloatArray, u: FloatArray, side: Sequence[int] = ()) -> FloatArray:
    """u adjusted so that m/u is monotone (see monotone_levels), m held: for a
    conditional u (`u_given`), which EM estimates level by level. Pooled levels share the
    block's Bayes factor; the total of u is unchanged."""
    out = np.asarray(u, dtype=np.float64).copy()
    for levels, c, uu in monotone_blocks(m, u, side):
        if len(levels) > 1 and c > 0:
            for lvl in levels:
                out[lvl] = max(float(m[lvl]), PROBABILITY_FLOOR) * uu / c
    return normalize_levels(out)


Block = tuple[list[int], float, float]  # levels, sum of counts, sum of u


@dataclass
class _Pool:
    levels: list[int]
    c: float
    u: float

    def below(self, other: _Pool) -> bool:
        """This pool's ratio c/u is below the other's."""
        return self.c * other.u < other.c * self.u

    def absorb(self, other: _Pool) -> None:
        self.levels += other.levels
        self.c += other.c
        self.u += other.u


def monotone_blocks(counts: FloatArray, u: FloatArray, side: Sequence[int] = ()) -> list[Block]:
    """Pool-adjacent-violators over levels 1.. (side levels clamped between the first
    and the last block): blocks of levels with their summed counts and u."""

    def pool(lvl: int) -> _Pool:
        return _Pool([lvl], float(counts[lvl]), max(float(u[lvl]), PROBABILITY_FLOOR))

    def settle_back() -> None:
        while len(chain) > 1 and chain[-2].below(chain[-1]):
            chain[-2].absorb(chain.pop())

    def settle_forward() -> None:
        while len(chain) > 1 and chain[0].below(chain[1]):
            chain[0].absorb(chain.pop(1))

    chain: list[_Pool] = []
    for lvl in range(1, len(counts)):
        if lvl not in side:
            chain.append(pool(lvl))
            settle_back()
    singles: list[_Pool] = []
    for lvl in side:
        p = pool(lvl)
        if p.below(chain[-1]):  # weighs less than "else": pool into it
            chain[-1].absorb(p)
            settle_back()
        elif chain[0].below(p):  # weighs more than "exact": pool into it
            chain[0].absorb(p)
            settle_forward()
        else:
            singles.append(p)
    return [(p.levels, p.c, p.u) for p in chain + singles]


# -- expectation maximisation ---------------------------------------------------------------


@dataclass(frozen=True)
class EMResult:
    m: list[FloatArray]
    prior: float
    iterations: int
    converged: bool
    expected_matches: float  # sum of match posteriors over the candidate pairs
    prior_history: list[float]
    # Per comparison, the expected number of matches at each level in the last M-step
    # (before pseudo-counts): what training sessions pool to combine their estimates.
    match_counts: list[FloatArray] = field(default_factory=list)
    # u of each `conditional` comparison where its condition holds (see below).
    u_conditional: list[FloatArray] = field(default_factory=list)
    # Per comparison, the levels the last M-step pooled to keep weights monotone.
    pooled: list[list[tuple[int, ...]]] = field(default_factory=list)
    # Largest parameter change of the last iteration (below `tolerance` when converged).
    last_change: float = 0.0


def _level_log(p: FloatArray, levels: LevelMatrix) -> FloatArray:
    """log p[level] per entry, 0 for the null level."""
    logs = np.zeros(len(p), dtype=np.float64)
    logs[1:] = np.log(np.maximum(p[1:], PROBABILITY_FLOOR))
    return np.asarray(logs[levels], dtype=np.float64)


def _pattern_log(params: Sequence[FloatArray], patterns: LevelMatrix) -> FloatArray:
    """Sum over comparisons of log P(level | class), null levels contributing 0."""
    total = np.zeros(len(patterns), dtype=np.float64)
    for k, p in enumerate(params):
        logs = np.zeros(len(p), dtype=np.float64)
        logs[1:] = np.log(np.maximum(p[1:], PROBABILITY_FLOOR))
        total += logs[patterns[:, k]]
    return total


def expectation_maximisation(
    candidates: PatternCounts,
    u: Sequence[FloatArray],
    m_start: Sequence[FloatArray],
    prior_start: float,
    total_pairs: float,
    *,
    labelled: PatternCounts | None = None,
    labelled_is_match: npt.NDArray[np.bool_] | None = None,
    label_weight: float = 1.0,
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    pseudo_count: float = 1.0,
    fixed: Sequence[bool] | None = None,
    conditional: Sequence[tuple[int, int]] = (),
    side_levels: Sequence[Sequence[int]] | None = None,
    witnesses: Sequence[int | None] | None = None,
) -> EMResult:
    """Estimate m and the prior by EM with u held fixed (Splink's `fix_u_probabilities`).

    The E-step uses the *global* prior: the candidate pairs are treated as the part of the
    full pair space (`total_pairs` pairs) that can hold matches, the pairs blocking did not
    produce as certain non-matches. Then the posterior of a candidate pair is exactly
    P(match | comparison vector) over all pairs, u from random pairs is the right
    non-match distribution, and the M-step for the prior is sum(posteriors) / total_pairs.
    That keeps blocked fields (which agree by construction among candidates) from being
    mistaken for evidence: their u is the random-pair rate, not the candidate-pair rate.

    `labelled` pairs (steward decisions) enter with their posterior clamped to 1 or 0,
    weighted `label_weight` for m. They must not also be in `candidates`.

    `pseudo_count` matches are spread over each comparison's levels in proportion to u in
    every M-step (a Dirichlet prior centred on "no evidence", m = u, i.e. MAP-EM): with
    little data Bayes factors shrink toward 1 instead of swinging to extremes, and a level
    no match happens to show gets a small but non-zero m.

    Comparisons flagged in `fixed` keep their starting m (they still weigh in the E-step):
    with every comparison fixed, EM estimates the prior alone.

    `conditional` pairs (k, j): among the pairs where comparison j agrees
    (`condition_holds`), the
    non-matches' level distribution of comparison k is estimated too (M-step over those
    pairs weighted by their non-match posterior, plus `pseudo_count` pairs spread as the
    random-pair u) and replaces u[k] there. That models one dependence among non-matches
    the independence assumption gets wrong (relatives share surname *and* address). Every
    pair where j agrees exactly must be a candidate (a blocking rule on j's fields).

    Every M-step keeps each comparison's Bayes factors monotone in closeness
    (`monotone_levels`; `side_levels` per comparison are the levels off that scale, such
    as a swap): EM is then the maximum-likelihood fit under that constraint, not an
    unconstrained fit repaired afterwards.
    """
    pats, counts = candidates.patterns, candidates.counts
    log_u = _pattern_log(u, pats)
    m = [normalize_levels(mk) for mk in m_start]
    prior = float(prior_start)
    history = [prior]
    # Labelled pairs: patterns and their weight toward m (matches only, clamped g = 1).
    lab_pats = np.zeros((0, len(m)), dtype=np.int8)
    lab_w = np.zeros(0)
    lab_matches = 0.0
    if labelled is not None and labelled_is_match is not None and len(labelled.counts):
        lab_pats = labelled.patterns
        lab_w = labelled.counts * labelled_is_match.astype(np.float64) * label_weight
        lab_matches = float((labelled.counts * labelled_is_match).sum())
    is_fixed = list(fixed) if fixed is not None else [False] * len(m)
    strata = [condition_holds(pats, j, len(m[j])) for _, j in conditional]
    # Where the conditional u is estimated: the stratum, or only its pairs whose witness
    # comparison disagrees ("else") - people who are surely two (see ComparisonSpec).
    among = [
        inside if w is None else inside & (pats[:, w] == len(m[w]) - 1)
        for inside, w in zip(strata, witnesses or [None] * len(strata), strict=True)
    ]
    u_cond = [np.asarray(u[k], dtype=np.float64).copy() for k, _ in conditional]
    converged = False
    iterations = 0
    g = np.zeros(len(pats))
    match_counts: list[FloatArray] = []
    pooled: list[list[tuple[int, ...]]] = [[] for _ in m]
    sides = [tuple(x) for x in side_levels] if side_levels is not None else [()] * len(m)
    delta = 0.0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - used after the loop
        logit = np.log(prior) - np.log1p(-prior) + _pattern_log(m, pats) - log_u
        for (k, _), inside, uc in zip(conditional, strata, u_cond, strict=True):
            logit[inside] -= _level_log(uc, pats[inside, k]) - _level_log(u[k], pats[inside, k])
        g = 0.5 * (1.0 + np.tanh(0.5 * logit))
        w = counts * g
        new_m = []
        match_counts = []
        for k, mk in enumerate(m):
            acc = np.bincount(pats[:, k], weights=w, minlength=len(mk)).astype(np.float64)
            if len(lab_w):
                acc += np.bincount(lab_pats[:, k], weights=lab_w, minlength=len(mk))
            match_counts.append(acc.copy())
            if is_fixed[k]:
                new_m.append(mk)
                continue
            acc[1:] += pseudo_count * u[k][1:]
            if acc[1:].sum() <= 0:
                new_m.append(mk)
                continue
            mk_new, pooled[k] = monotone_levels(acc, u[k], sides[k])
            new_m.append(mk_new)
        new_u_cond = []
        for (k, _), inside, uc in zip(conditional, among, u_cond, strict=True):
            non = counts[inside] * (1.0 - g[inside])
            acc = np.bincount(pats[inside, k], weights=non, minlength=len(uc)).astype(np.float64)
            acc[1:] += U_CONDITIONAL_PSEUDO_PAIRS * u[k][1:]
            new_u_cond.append(normalize_levels(acc) if acc[1:].sum() > 0 else uc)
        matches = float(w.sum()) + lab_matches
        new_prior = float(np.clip(matches / total_pairs, 1e-12, 1 - 1e-9))
        delta = max(float(np.max(np.abs(a - b))) for a, b in zip(new_m, m, strict=True))
        delta = max(delta, abs(new_prior - prior) / prior)
        for a, b in zip(new_u_cond, u_cond, strict=True):
            delta = max(delta, float(np.max(np.abs(a - b))))
        m, prior, u_cond = new_m, new_prior, new_u_cond
        history.append(prior)
        if delta < tolerance:
            converged = True
            break
    return EMResult(
        m,
        prior,
        iterations,
        converged,
        float((counts * g).sum()),
        history,
        match_counts,
        u_cond,
        pooled,
        delta,
    )


def default_m_start(n_levels: int) -> FloatArray:
    """Starting m: most matches agree exactly, a few are fuzzy, few disagree."""
    p = np.zeros(n_levels, dtype=np.float64)
    fuzzy = n_levels - 3
    p[1] = 0.85
    if fuzzy > 0:
        p[2 : 2 + fuzzy] = 0.10 / fuzzy
    p[-1] = 0.05 if fuzzy > 0 else 0.15
    return normalize_levels(p)
