"""Steward decisions as labelled pairs in training: their agreement patterns are clamped
(known match or non-match) instead of estimated, in every EM session they fall in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from identity_graph.matching.comparisons import compare
from identity_graph.matching.fellegi_sunter import LevelMatrix, PatternCounts
from identity_graph.matching.specs import ComparisonSpec, LevelArray
from identity_graph.matching.table import IntArray, RecordTable

#: (record ID, record ID, is a match)
LabelledPair = tuple[str, str, bool]


@dataclass
class Labelled:
    """Steward decisions as comparison vectors: row positions, levels and the label."""

    a: IntArray
    b: IntArray
    levels: LevelArray
    is_match: npt.NDArray[np.bool_]
    n_levels: tuple[int, ...]

    @classmethod
    def of(
        cls, table: RecordTable, specs: Sequence[ComparisonSpec], labels: Sequence[LabelledPair]
    ) -> Labelled:
        a = table.positions(x for x, _, _ in labels)
        b = table.positions(y for _, y, _ in labels)
        is_match = np.array([m for _, _, m in labels], dtype=bool)
        n_levels = tuple(s.n_levels for s in specs)
        return cls(a, b, compare(specs, table, a, b), is_match, n_levels)

    def patterns(
        self, mask: npt.NDArray[np.bool_] | None = None, dropped: Sequence[int] = ()
    ) -> tuple[PatternCounts, npt.NDArray[np.bool_]]:
        """Pattern counts (matches first, then non-matches, so a pattern's label stays
        defined) and the match flag of each pattern."""
        levels, is_match = self.levels, self.is_match
        if mask is not None:
            levels, is_match = levels[mask], is_match[mask]
        levels = levels.copy()
        levels[:, list(dropped)] = 0
        counts_match = PatternCounts(self.n_levels)
        counts_match.add(levels[is_match])
        counts_non = PatternCounts(self.n_levels)
        counts_non.add(levels[~is_match])
        counts = PatternCounts(self.n_levels)
        counts.patterns = np.concatenate((counts_match.patterns, counts_non.patterns))
        counts.counts = np.concatenate((counts_match.counts, counts_non.counts))
        flags = np.concatenate(
            (np.ones(len(counts_match.counts), bool), np.zeros(len(counts_non.counts), bool))
        )
        return counts, flags


def remove_patterns(counter: PatternCounts, levels: LevelMatrix) -> None:
    """Take labelled pairs that blocking also produced out of the free EM counts."""
    radix = counter._radix()
    codes: IntArray = np.asarray(counter.patterns.astype(np.int64) @ radix)
    drop: IntArray = np.asarray(levels.astype(np.int64) @ radix)
    uniq, n_dropped = np.unique(drop, return_counts=True)
    n = np.asarray(n_dropped, dtype=np.float64)
    pos = np.searchsorted(codes, uniq)
    ok = (pos < len(codes)) & (codes[np.minimum(pos, len(codes) - 1)] == uniq)
    counter.counts[pos[ok]] = np.maximum(counter.counts[pos[ok]] - n[ok], 0.0)
