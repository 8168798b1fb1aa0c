"""Probabilistic person-record matching (Fellegi-Sunter, Splink-style), pure Python.

No database here: records in, scored pairs out. The graph decides clusters.

    from identity_graph.matching import RecordTable, default_settings, train, predict
    records = RecordTable.from_dicts(rows)            # aliases + cleaning + ISO dates
    model = train(records, default_settings())        # u by sampling, m and prior by EM
                                                      # (m in sessions: see training.py)
    model.save("match-model.json")
    for pair in predict(model, records).at_least(0.90):
        print(pair.a, pair.b, pair.probability, pair.waterfall())

Modules: standardize (clean raw rows), table (columnar records), blocking (rules and
keys), candidates (candidate pairs of a table), block_index (incremental candidates),
comparisons (agreement levels), fellegi_sunter (the maths, EM), u_estimation, labels
(steward decisions as labelled pairs), training (u, m, prior),
model (versioned JSON), scoring (scored pairs and explanations), pipeline (predict /
score_pairs / fit_predict). `runner` applies all of it to a store's records.
"""

from identity_graph.matching.block_index import BlockingIndex
from identity_graph.matching.blocking import BlockingRule
from identity_graph.matching.candidates import (
    BlockingReport,
    CandidatePairs,
    block,
    iter_candidate_pairs,
)
from identity_graph.matching.comparisons import (
    compare,
)
from identity_graph.matching.labels import LabelledPair
from identity_graph.matching.model import MatchModel
from identity_graph.matching.pipeline import fit_predict, iter_predict, predict, score_pairs
from identity_graph.matching.scoring import ScoredPair, ScoredPairs
from identity_graph.matching.settings import (
    DEFAULT_BLOCKING_RULES,
    DEFAULT_COMPARISONS,
    DEFAULT_TRAINING_RULES,
    MatchSettings,
    default_settings,
)
from identity_graph.matching.specs import (
    ComparisonSpec,
    address_comparison,
    date_comparison,
    distance_comparison,
    email_comparison,
    exact_match,
    full_address_comparison,
    name_comparison,
)
from identity_graph.matching.standardize import (
    STANDARD_FIELDS,
    Standardizer,
    normalize_header,
    parse_date,
    standardize_records,
)
from identity_graph.matching.table import MatchRecord, RecordTable
from identity_graph.matching.training import refine_with_labels, train

__all__ = [
    "DEFAULT_BLOCKING_RULES",
    "DEFAULT_COMPARISONS",
    "DEFAULT_TRAINING_RULES",
    "STANDARD_FIELDS",
    "BlockingIndex",
    "BlockingReport",
    "BlockingRule",
    "CandidatePairs",
    "ComparisonSpec",
    "LabelledPair",
    "MatchModel",
    "MatchRecord",
    "MatchSettings",
    "RecordTable",
    "ScoredPair",
    "ScoredPairs",
    "Standardizer",
    "address_comparison",
    "block",
    "compare",
    "date_comparison",
    "default_settings",
    "distance_comparison",
    "email_comparison",
    "exact_match",
    "fit_predict",
    "full_address_comparison",
    "iter_candidate_pairs",
    "iter_predict",
    "name_comparison",
    "normalize_header",
    "parse_date",
    "predict",
    "refine_with_labels",
    "score_pairs",
    "standardize_records",
    "train",
]
