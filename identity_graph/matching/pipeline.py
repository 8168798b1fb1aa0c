"""End-to-end entry points: predict (block + compare + score), score given pairs, and
fit_predict (train and score in one pass over the candidate pairs)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from identity_graph.matching.candidates import BlockingReport, CandidatePairs, iter_candidate_pairs
from identity_graph.matching.comparisons import (
    compare,
)
from identity_graph.matching.labels import LabelledPair
from identity_graph.matching.model import MatchModel
from identity_graph.matching.scoring import ScoredPairs, score_levels
from identity_graph.matching.settings import MatchSettings, default_settings
from identity_graph.matching.table import RecordTable, as_table
from identity_graph.matching.training import Records, fit_table

DEFAULT_CHUNK_PAIRS = 1_000_000


def iter_predict(
    model: MatchModel,
    records: Records,
    *,
    min_probability: float = 0.0,
    chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
    population: int | None = None,
    report: BlockingReport | None = None,
) -> Iterator[ScoredPairs]:
    """Stream scored candidate pairs chunk by chunk (about `chunk_pairs` compared at a time),
    keeping only pairs with probability >= `min_probability`. Memory is bounded by the
    chunk size plus the records, whatever the number of candidate pairs."""
    table = as_table(records)
    s = model.settings
    for a, b in iter_candidate_pairs(
        table,
        s.rules(),
        link_type=s.link_type,
        max_block_size=s.max_block_size,
        chunk_pairs=chunk_pairs,
        report=report,
    ):
        scored = score_levels(
            model, table, a, b, compare(s.comparisons, table, a, b), population=population
        )
        if min_probability > 0.0:
            scored = scored.at_least(min_probability)
        if len(scored):
            yield scored


def predict(
    model: MatchModel,
    records: Records,
    *,
    min_probability: float = 0.0,
    chunk_pairs: int = DEFAULT_CHUNK_PAIRS,
    population: int | None = None,
    report: BlockingReport | None = None,
) -> ScoredPairs:
    """Block, compare and score all candidate pairs of `records` (collected in memory).
    Pass a `BlockingReport` to learn how many pairs each rule yielded and which blocks
    were over the size cap."""
    table = as_table(records)
    parts = list(
        iter_predict(
            model,
            table,
            min_probability=min_probability,
            chunk_pairs=chunk_pairs,
            population=population,
            report=report,
        )
    )
    if not parts:
        return _empty(model, table)
    return ScoredPairs.concat(parts)


def score_pairs(
    model: MatchModel,
    records: Records,
    pairs: CandidatePairs | Iterable[tuple[str, str]],
    *,
    population: int | None = None,
) -> ScoredPairs:
    """Score given pairs of record IDs; `records` must hold every record named in `pairs`.

    Use with `BlockingIndex.candidates` for incremental matching, or to score a pair a
    steward asks about. Pass `population` (the number of records in the store) when it
    differs from the training data, see `MatchModel.prior_for`.
    """
    table = as_table(records)
    id_pairs = pairs.id_pairs() if isinstance(pairs, CandidatePairs) else list(pairs)
    a = table.positions(x for x, _ in id_pairs)
    b = table.positions(y for _, y in id_pairs)
    levels = compare(model.settings.comparisons, table, a, b)
    return score_levels(model, table, a, b, levels, population=population)


def fit_predict(
    records: Records,
    settings: MatchSettings | None = None,
    *,
    labels: Sequence[LabelledPair] = (),
    min_probability: float = 0.0,
    keep_pairs: int = 5_000_000,
) -> tuple[MatchModel, ScoredPairs]:
    """Train and score the same records, comparing each candidate pair only once when there
    are at most `keep_pairs` of them (otherwise scoring streams a second pass)."""
    table = as_table(records)
    result = fit_table(table, settings or default_settings(), labels, 1.0, keep_pairs)
    model, compared = result.model, result.compared
    if compared is None:
        return model, predict(model, table, min_probability=min_probability)
    if not compared.left:
        return model, _empty(model, table)
    scored = score_levels(
        model,
        table,
        np.concatenate(compared.left),
        np.concatenate(compared.right),
        np.concatenate(compared.levels),
    )
    if min_probability > 0.0:
        scored = scored.at_least(min_probability)
    return model, scored


def _empty(model: MatchModel, table: RecordTable) -> ScoredPairs:
    z = np.zeros(0, dtype=np.int64)
    levels = np.zeros((0, len(model.comparisons)), dtype=np.int8)
    return score_levels(model, table, z, z, levels)
