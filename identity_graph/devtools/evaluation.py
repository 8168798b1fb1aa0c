"""Pairwise precision and recall of resolved persons against ground truth.

A pair is two identifiers in one person. Precision: of the pairs we put together, the share
that truly belong together; recall: of the true pairs, the share we found. Computed from the
contingency table, so it is linear in the number of identifiers, not quadratic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from identity_graph.ids import IdentifierKey


@dataclass(frozen=True)
class PairwiseScore:
    identifiers: int
    predicted_pairs: int
    true_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_score(
    predicted: Iterable[tuple[str, str]], truth: Mapping[IdentifierKey, int]
) -> PairwiseScore:
    """`predicted`: (identifier key, person id), as `GraphStore.assignments()` yields them;
    only keys with a truth label count, and a negative label (the generator's HUB and
    SHARED: identifiers of several people) is none: such a key belongs in no one person."""
    cells: Counter[tuple[str, int]] = Counter()
    pred_sizes: Counter[str] = Counter()
    true_sizes: Counter[int] = Counter()
    n = 0
    # `predicted` is typed str because the store's assignments are; tuples being covariant,
    # (IdentifierKey, PersonId) pairs fit too.
    for key, person in predicted:
        label = truth.get(IdentifierKey(key))
        if label is None or label < 0:
            continue
        n += 1
        cells[(person, label)] += 1
        pred_sizes[person] += 1
        true_sizes[label] += 1
    return PairwiseScore(
        identifiers=n,
        predicted_pairs=sum(_pairs(c) for c in pred_sizes.values()),
        true_pairs=sum(_pairs(c) for c in true_sizes.values()),
        correct_pairs=sum(_pairs(c) for c in cells.values()),
    )
