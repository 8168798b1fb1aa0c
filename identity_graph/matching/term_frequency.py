"""Term-frequency adjustment of exact matches (as in Splink).

Agreeing on a common value is weaker evidence than agreeing on a rare one. For a pair that
agrees exactly on value v, P(agree on v | match) = m_exact * f_v and
P(agree on v | non-match) = f_v^2, so the Bayes factor is m_exact / f_v instead of the
average m_exact / u_exact (u_exact = sum of f^2). The adjustment added to the exact
level's weight is therefore log2(u_exact / f_v): positive for rare values, negative for
common ones, zero on average. m and u are still estimated without it (Splink does the
same), so EM is unaffected.
"""

from __future__ import annotations

import numpy as np

from identity_graph.matching.fellegi_sunter import FloatArray, LevelMatrix
from identity_graph.matching.model import MatchModel, TermFrequencies
from identity_graph.matching.specs import (
    EXACT_LEVEL,
    ComparisonSpec,
    is_side_level,
)
from identity_graph.matching.table import IntArray, RecordTable

# Values seen at least this often are stored; rarer ones share the "seen once" frequency.
MIN_STORED_COUNT = 2
MAX_STORED_VALUES = 500_000


def build_term_frequencies(table: RecordTable, spec: ComparisonSpec) -> TermFrequencies | None:
    enc = spec.column(table)
    total = float(enc.counts.sum())
    if total == 0:
        return None
    keep = np.flatnonzero(enc.counts >= MIN_STORED_COUNT)
    if len(keep) > MAX_STORED_VALUES:
        keep = keep[np.argsort(-enc.counts[keep], kind="stable")[:MAX_STORED_VALUES]]
    values = {enc.vocab[i]: float(enc.counts[i] / total) for i in keep.tolist()}
    return TermFrequencies(values=values, default=1.0 / total)


def _vocab_frequencies(
    model: MatchModel, table: RecordTable, spec: ComparisonSpec, tf: TermFrequencies
) -> FloatArray:
    """Frequency per vocabulary entry of the table's column, cached per model version."""
    enc = spec.column(table)
    key = f"tf:{model.version}:{spec.label}"
    freq = enc.derived.get(key)
    if freq is None:
        freq = np.fromiter(
            (tf.frequency(v) for v in enc.vocab), dtype=np.float64, count=len(enc.vocab)
        )
        enc.derived[key] = freq
    return freq


def tf_adjustments(
    model: MatchModel, table: RecordTable, left: IntArray, right: IntArray, levels: LevelMatrix
) -> FloatArray | None:
    """(n_pairs, n_comparisons) log2 adjustments, or None when no comparison uses TF."""
    specs = model.settings.comparisons
    if not any(s.term_frequency for s in specs):
        return None
    out = np.zeros(levels.shape, dtype=np.float64)
    for k, spec in enumerate(specs):
        tf = model.term_frequencies.get(spec.label)
        if not spec.term_frequency or tf is None:
            continue
        exact = np.flatnonzero(levels[:, k] == EXACT_LEVEL)
        if len(exact) == 0:
            continue
        u_exact = model.comparisons[k].levels[EXACT_LEVEL].u or tf.default
        freq = _vocab_frequencies(model, table, spec, tf)
        codes = spec.column(table).codes[left[exact]]
        adjusted = np.log2(u_exact) - np.log2(np.clip(freq[codes], 1e-12, 1.0))
        # Weights stay monotone in closeness: "MUELLER" = "MUELLER" may weigh less than
        # the average exact match, never less than the best fuzzy level.
        out[exact, k] = np.maximum(adjusted, _fuzzy_floor(model, k))
    return out


def _fuzzy_floor(model: MatchModel, k: int) -> float:
    """The adjustment that makes the exact level weigh as much as the best fuzzy level
    (swaps are off the closeness scale); -inf where there is no fuzzy level."""
    table = model.bayes_factor_tables[k]
    labels = model.settings.comparisons[k].level_labels
    fuzzy = [i for i in range(2, len(labels) - 1) if not is_side_level(labels[i])]
    return float(table[fuzzy].max() - table[EXACT_LEVEL]) if fuzzy else float("-inf")
