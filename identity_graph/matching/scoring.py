"""Scoring compared pairs with a trained model, in bulk and with explanations.

`ScoredPairs` is columnar (numpy arrays) so millions of pairs stay cheap; iterate it or
index it to get `ScoredPair` objects carrying the waterfall for one pair:
`prior_weight + sum(contributions.values()) == match_weight`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from identity_graph.matching.fellegi_sunter import (
    FloatArray,
    LevelMatrix,
    condition_holds,
    contributions,
    probability_from_weight,
)
from identity_graph.matching.model import MatchModel
from identity_graph.matching.table import IntArray, RecordTable
from identity_graph.matching.term_frequency import tf_adjustments


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """One scored pair. `contributions` are log2 Bayes factors per comparison (0.0 for a
    missing value); with `prior_weight` they add up to `match_weight`."""

    a: str
    b: str
    probability: float
    match_weight: float
    prior_weight: float
    contributions: dict[str, float]
    levels: dict[str, str]

    def waterfall(self) -> list[tuple[str, float, float]]:
        """(step, weight, cumulative weight) rows: prior, each comparison, total."""
        rows = [("prior", self.prior_weight, self.prior_weight)]
        total = self.prior_weight
        for name, w in self.contributions.items():
            total += w
            rows.append((f"{name} = {self.levels[name]}", w, total))
        return rows


@dataclass(frozen=True)
class ScoredPairs:
    """Columnar scores. `left`/`right` index `ids`."""

    ids: Sequence[str]
    left: IntArray
    right: IntArray
    levels: LevelMatrix  # (n_pairs, n_comparisons) level indices
    match_weight: FloatArray
    probability: FloatArray
    prior_weight: float
    comparison_names: tuple[str, ...]
    level_labels: tuple[tuple[str, ...], ...]
    bayes_factor_tables: tuple[FloatArray, ...]
    model_version: str
    # Per-pair additions to the level weights (term-frequency adjustments, conditional u),
    # if any.
    adjustments: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.left)

    def __getitem__(self, i: int) -> ScoredPair:
        lv = self.levels[i]
        row = self.contributions_of(i)
        return ScoredPair(
            a=self.ids[int(self.left[i])],
            b=self.ids[int(self.right[i])],
            probability=float(self.probability[i]),
            match_weight=float(self.match_weight[i]),
            prior_weight=self.prior_weight,
            contributions={name: float(row[k]) for k, name in enumerate(self.comparison_names)},
            levels={
                name: self.level_labels[k][lv[k]] for k, name in enumerate(self.comparison_names)
            },
        )

    def __iter__(self) -> Iterator[ScoredPair]:
        for i in range(len(self)):
            yield self[i]

    def contributions_of(self, i: int) -> FloatArray:
        lv = self.levels[i]
        row = np.array([t[lv[k]] for k, t in enumerate(self.bayes_factor_tables)])
        return row if self.adjustments is None else row + self.adjustments[i]

    def contributions(self) -> FloatArray:
        """(n_pairs, n_comparisons) log2 Bayes factors, term-frequency adjusted."""
        out = contributions(self.levels, self.bayes_factor_tables)
        return out if self.adjustments is None else out + self.adjustments

    def select(self, mask: npt.NDArray[np.bool_] | IntArray) -> ScoredPairs:
        adjustments = None if self.adjustments is None else self.adjustments[mask]
        return replace(
            self,
            left=self.left[mask],
            right=self.right[mask],
            levels=self.levels[mask],
            match_weight=self.match_weight[mask],
            probability=self.probability[mask],
            adjustments=adjustments,
        )

    def at_least(self, probability: float) -> ScoredPairs:
        return self.select(self.probability >= probability)

    def between(self, low: float, high: float) -> ScoredPairs:
        """Pairs with low <= probability < high (e.g. the review band)."""
        return self.select((self.probability >= low) & (self.probability < high))

    def id_pairs(self) -> list[tuple[str, str]]:
        ids = self.ids
        return [
            (ids[a], ids[b]) for a, b in zip(self.left.tolist(), self.right.tolist(), strict=True)
        ]

    @staticmethod
    def concat(parts: Sequence[ScoredPairs]) -> ScoredPairs:
        if not parts:
            raise ValueError("nothing to concatenate")
        present = [p.adjustments for p in parts if p.adjustments is not None]
        if present and len(present) != len(parts):
            # Only scores of different models differ here; concatenating them would pair
            # one part's weights with another's contributions.
            raise ValueError("cannot concatenate scores with and without adjustments")
        adjustments = np.concatenate(present) if present else None
        return replace(
            parts[0],
            left=np.concatenate([p.left for p in parts]),
            right=np.concatenate([p.right for p in parts]),
            levels=np.concatenate([p.levels for p in parts]),
            match_weight=np.concatenate([p.match_weight for p in parts]),
            probability=np.concatenate([p.probability for p in parts]),
            adjustments=adjustments,
        )


def pair_adjustments(
    model: MatchModel, table: RecordTable, left: IntArray, right: IntArray, levels: LevelMatrix
) -> FloatArray | None:
    """(n_pairs, n_comparisons) per-pair additions to the level weights: term-frequency
    adjustments, and for a comparison with `u_given` where that comparison agrees
    (`condition_holds`),
    the switch to the conditional Bayes factors (which replace the term-frequency
    adjustment there). None when the model has neither."""
    adjustments = tf_adjustments(model, table, left, right, levels)
    for k, j, delta in model.conditional_tables:
        if adjustments is None:
            adjustments = np.zeros(levels.shape, dtype=np.float64)
        inside = condition_holds(levels, j, model.settings.comparisons[j].n_levels)
        adjustments[inside, k] = delta[levels[inside, k]]
    return adjustments


def score_levels(
    model: MatchModel,
    table: RecordTable,
    left: IntArray,
    right: IntArray,
    levels: LevelMatrix,
    *,
    population: int | None = None,
) -> ScoredPairs:
    """Match weights and probabilities for comparison vectors of pairs of `table`."""
    tables = model.bayes_factor_tables
    prior_w = model.prior_weight(population)
    weight = np.full(len(left), prior_w, dtype=np.float64)
    for k, bf in enumerate(tables):
        weight += bf[levels[:, k]]
    adjustments = pair_adjustments(model, table, left, right, levels)
    if adjustments is not None:
        weight += adjustments.sum(axis=1)
    return ScoredPairs(
        ids=table.ids,
        left=left,
        right=right,
        levels=levels,
        match_weight=weight,
        probability=probability_from_weight(weight),
        prior_weight=prior_w,
        comparison_names=tuple(model.comparison_names),
        level_labels=tuple(tuple(lv.label for lv in c.levels) for c in model.comparisons),
        bayes_factor_tables=tuple(tables),
        model_version=model.version,
        adjustments=adjustments,
    )
