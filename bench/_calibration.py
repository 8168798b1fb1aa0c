"""Pairwise accuracy and calibration of scored pairs, shared by the matching benchmarks.

A `Tally` sums, per bin of predicted probability, the pairs, their probabilities, the true
matches among them and the squared errors; tallies add up, so a streamed predict (or a SQL
GROUP BY) gives the same figures as one array. 0.90 and 0.96 are bin edges, so precision
and recall at both thresholds come from the same tally.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

AUTO_LINK, REVIEW = 0.96, 0.90
# Reliability bins [lo, hi); the last one is closed at 1.
BINS = (0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.96, 0.99, 1.0)
CALIBRATION_MIN_PAIRS, CALIBRATION_TOLERANCE = 20, 0.05
RULE = {
    "bins": list(BINS),
    "min_pairs": CALIBRATION_MIN_PAIRS,
    "tolerance": CALIBRATION_TOLERANCE,
    "auto_link_true_share_at_least": AUTO_LINK,
}
_N = len(BINS) - 1


def bin_index(p: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(BINS[1:-1]), p, side="right")


def bin_sql(column: str) -> str:
    """The same bin index as a SQL expression (for tallies computed in a database)."""
    whens = " ".join(f"WHEN {column} < {hi!r} THEN {i}" for i, hi in enumerate(BINS[1:-1]))
    return f"CASE {whens} ELSE {_N - 1} END"


@dataclass
class Tally:
    pairs: np.ndarray = field(default_factory=lambda: np.zeros(_N, dtype=np.int64))
    true: np.ndarray = field(default_factory=lambda: np.zeros(_N, dtype=np.int64))
    sum_p: np.ndarray = field(default_factory=lambda: np.zeros(_N))
    sum_sq: np.ndarray = field(default_factory=lambda: np.zeros(_N))

    def add(self, p: np.ndarray, is_true: np.ndarray) -> None:
        p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        y = np.asarray(is_true, dtype=bool)
        b = bin_index(p)
        self.pairs += np.bincount(b, minlength=_N)
        self.true += np.bincount(b, weights=y, minlength=_N).astype(np.int64)
        self.sum_p += np.bincount(b, weights=p, minlength=_N)
        self.sum_sq += np.bincount(b, weights=(p - y) ** 2, minlength=_N)

    def add_bin(self, i: int, pairs: int, true: int, sum_p: float, sum_sq: float) -> None:
        self.pairs[i] += pairs
        self.true[i] += true
        self.sum_p[i] += sum_p
        self.sum_sq[i] += sum_sq

    def at_least(self, threshold: float) -> tuple[int, int]:
        first = BINS.index(threshold)
        return int(self.pairs[first:].sum()), int(self.true[first:].sum())


def prf(links: int, tp: int, true_pairs: int) -> dict[str, Any]:
    precision = tp / links if links else 0.0
    recall = tp / true_pairs if true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"links": links, "true_links": tp, "precision": precision, "recall": recall, "f1": f1}


def reliability(t: Tally) -> list[dict[str, Any]]:
    rows = []
    for i, (lo, hi) in enumerate(itertools.pairwise(BINS)):
        n = int(t.pairs[i])
        rows.append(
            {
                "bin": f"[{lo:g},{hi:g}{']' if i == _N - 1 else ')'}",
                "pairs": n,
                "mean_probability": float(t.sum_p[i] / n) if n else None,
                "true_share": float(t.true[i] / n) if n else None,
            }
        )
    return rows


def verdict(rel: list[dict[str, Any]], t: Tally) -> str:
    """PASS if every bin with >= 20 pairs is within 0.05 of its mean probability and at
    least 96% of the pairs scored >= 0.96 are true; else MISS naming the worst failure."""
    failures: list[tuple[float, str]] = []
    for r in rel:
        if r["pairs"] >= CALIBRATION_MIN_PAIRS:
            gap = abs(r["true_share"] - r["mean_probability"])
            if gap > CALIBRATION_TOLERANCE:
                failures.append(
                    (
                        gap,
                        f"{r['bin']} n={r['pairs']} p={r['mean_probability']:.3f} "
                        f"true={r['true_share']:.3f}",
                    )
                )
    links, tp = t.at_least(AUTO_LINK)
    if links and tp / links < AUTO_LINK:
        failures.append((AUTO_LINK - tp / links, f">=0.96 true share {tp / links:.3f} (n={links})"))
    return "PASS" if not failures else "MISS " + max(failures)[1]


def metrics(t: Tally, true_pairs: int) -> dict[str, Any]:
    """P/R/F1 at 0.96 and 0.90 (recall over every true pair, blocking misses included),
    the Brier score over the scored pairs, the reliability table and the verdict."""
    scored = int(t.pairs.sum())
    rel = reliability(t)
    return {
        "pairs_scored": scored,
        "true_pairs_scored": int(t.true.sum()),
        "candidate_recall": float(t.true.sum() / true_pairs) if true_pairs else None,
        f"at_{AUTO_LINK}": prf(*t.at_least(AUTO_LINK), true_pairs),
        f"at_{REVIEW}": prf(*t.at_least(REVIEW), true_pairs),
        "brier": float(t.sum_sq.sum() / scored) if scored else None,
        "reliability": rel,
        "calibration": verdict(rel, t),
    }


def reliability_cells(rel: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{r['bin']} n={r['pairs']} p={r['mean_probability']:.3f} true={r['true_share']:.3f}"
        for r in rel
        if r["pairs"]
    )
