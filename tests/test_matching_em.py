"""EM recovers known m and prior from comparison vectors drawn from them."""

from __future__ import annotations

import numpy as np
import pytest

from identity_graph.matching.fellegi_sunter import (
    PatternCounts,
    default_m_start,
    expectation_maximisation,
    log2_bayes_factors,
    probability_from_weight,
)

# Level 0 is "null"; rows are levels 1.. (exact, fuzzy..., else).
TRUE_M = [np.array([0, 0.85, 0.10, 0.05]), np.array([0, 0.70, 0.20, 0.10]),
          np.array([0, 0.90, 0.10]), np.array([0, 0.60, 0.25, 0.10, 0.05])]
TRUE_U = [np.array([0, 0.01, 0.04, 0.95]), np.array([0, 0.02, 0.08, 0.90]),
          np.array([0, 0.05, 0.95]), np.array([0, 0.001, 0.01, 0.05, 0.939])]
NULL_RATE = [0.0, 0.1, 0.2, 0.05]


def draw(rng: np.random.Generator, n: int, params: list[np.ndarray]) -> np.ndarray:
    out = np.empty((n, len(params)), dtype=np.int8)
    for k, p in enumerate(params):
        out[:, k] = rng.choice(len(p), size=n, p=p)
        # Missingness independent of match status: the null level carries no evidence.
        out[rng.random(n) < NULL_RATE[k], k] = 0
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_em_recovers_m_and_prior(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_pairs, n_matches = 400_000, 4_000
    levels = np.concatenate((draw(rng, n_matches, TRUE_M),
                             draw(rng, n_pairs - n_matches, TRUE_U)))
    counts = PatternCounts(tuple(len(p) for p in TRUE_M))
    counts.add(levels)
    assert counts.total == n_pairs
    em = expectation_maximisation(
        counts, TRUE_U, [default_m_start(len(p)) for p in TRUE_M], 0.05, n_pairs,
        pseudo_count=0.0,
    )
    assert em.converged
    assert em.prior == pytest.approx(n_matches / n_pairs, rel=0.05)
    for got, want in zip(em.m, TRUE_M, strict=True):
        np.testing.assert_allclose(got[1:], want[1:], atol=0.025)


def test_em_on_blocked_pairs_uses_the_global_prior() -> None:
    """Only pairs agreeing exactly on comparison 0 or 1 are candidates (blocking); the
    rest count toward the total as non-matches. m and the random-pair prior still come
    out right (up to the 1.5% of matches that blocking misses)."""
    rng = np.random.default_rng(7)
    n_pairs, n_matches = 2_000_000, 2_000
    levels = np.concatenate((draw(rng, n_matches, TRUE_M),
                             draw(rng, n_pairs - n_matches, TRUE_U)))
    blocked = (levels[:, 0] == 1) | (levels[:, 1] == 1)
    counts = PatternCounts(tuple(len(p) for p in TRUE_M))
    counts.add(levels[blocked])
    em = expectation_maximisation(
        counts, TRUE_U, [default_m_start(len(p)) for p in TRUE_M], 0.5 * blocked.mean(),
        n_pairs, pseudo_count=0.0,
    )
    recall = blocked[:n_matches].mean()
    assert em.prior == pytest.approx(recall * n_matches / n_pairs, rel=0.08)
    for got, want in zip(em.m[2:], TRUE_M[2:], strict=True):  # not used for blocking
        np.testing.assert_allclose(got[1:], want[1:], atol=0.03)


def test_pattern_counts_merge_chunks() -> None:
    rng = np.random.default_rng(3)
    levels = draw(rng, 10_000, TRUE_U)
    whole = PatternCounts((4, 4, 3, 5))
    whole.add(levels)
    chunked = PatternCounts((4, 4, 3, 5))
    for part in np.array_split(levels, 7):
        chunked.add(part)
    np.testing.assert_array_equal(whole.patterns, chunked.patterns)
    np.testing.assert_array_equal(whole.counts, chunked.counts)


def test_null_level_has_bayes_factor_one() -> None:
    for table in log2_bayes_factors(TRUE_M, TRUE_U):
        assert table[0] == 0.0
    assert probability_from_weight(0.0) == pytest.approx(0.5)
    assert probability_from_weight(np.array([-2000.0, 2000.0])).tolist() == [0.0, 1.0]
