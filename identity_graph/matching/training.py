"""Estimating the model: u from random pairs, m by EM training sessions, the prior by EM.

1. u (`estimate_u` in u_estimation.py): the exact-match level's u is computed exactly from
   value counts (sum over values of count*(count-1), over all ordered pairs of non-missing
   rows); a seeded random sample of non-missing pairs then splits the remaining probability
   over the fuzzy levels and "else".
2. m (`_session_m`), Splink-style: one EM session per training rule (by default a shared
   birth date, a shared full name), each on the candidate pairs that satisfy its rule,
   u held fixed, with the comparisons that read the rule's fields left out (they agree by
   construction there). The sessions' expected match counts are pooled per comparison.
   Why not one EM over all candidates: person data is full of relatives who share
   surname, address and phone area. They are the commonest kind of agreeing pair among
   the candidates, and their agreement is far beyond what the random-pair u explains, so
   one EM converges on "same household" as its match class (m(given name exact) ~ 0.26,
   a different birth date costing ~0.5 bit) and links whole households. Within a session
   on an identity field, relatives are rare and the non-matches look like random pairs
   on the other fields, so "same person" is what EM finds.
3. The prior (`expectation_maximisation` in fellegi_sunter.py) by EM over all candidate
   pairs with the sessions' m fixed; a comparison no session estimated gets its m there
   too, anchored by the others (with no usable session this is plain EM on everything).
   Then no agreement level may weigh less than "else" (`enforce_ordinal`), and fields no
   record has get neutral levels.
4. Term frequencies of comparisons with `term_frequency=True` (term_frequency.py).
5. Optional: steward decisions as labelled pairs (`refine_with_labels`), clamped in every
   session they fall in and in the prior's EM.

Pairs are streamed through blocking and comparison and only their pattern counts are kept
(one set for all candidates and one per session), so training memory does not grow with
the number of candidate pairs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from identity_graph.matching.blocking import U64, BlockingRule, BoolArray, LinkType, rule_keys
from identity_graph.matching.candidates import BlockingReport, iter_candidate_pairs
from identity_graph.matching.comparisons import (
    compare,
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
from identity_graph.matching.labels import Labelled, LabelledPair, remove_patterns
from identity_graph.matching.model import MatchModel, TrainingStats
from identity_graph.matching.settings import MatchSettings, default_settings, u_sample_size
from identity_graph.matching.table import IntArray, MatchRecord, RecordTable, as_table
from identity_graph.matching.term_frequency import build_term_frequencies
from identity_graph.matching.u_estimation import comparable_rows, estimate_u, total_pairs

Records = RecordTable | Iterable[MatchRecord] | Iterable[Mapping[str, object]]


@dataclass
class _Compared:
    """Compared candidate pairs, kept only when small enough to reuse for scoring."""

    left: list[IntArray]
    right: list[IntArray]
    levels: list[LevelMatrix]


@dataclass
class _Session:
    """One EM training session: the candidate pairs that satisfy `rule`, with the
    comparisons that read the rule's fields (`dropped`) left out."""

    rule: BlockingRule
    keys: U64
    ok: BoolArray
    dropped: list[int]
    counts: PatternCounts
    total_pairs: float  # pairs of the whole table that satisfy the rule

    def holds(self, a: IntArray, b: IntArray) -> BoolArray:
        return np.asarray(self.ok[a] & self.ok[b] & (self.keys[a] == self.keys[b]))


def rule_pair_count(
    keys: U64, ok: BoolArray, sources: npt.NDArray[np.int8], link_type: LinkType
) -> float:
    """How many pairs the link type allows that agree on a rule's key (from key counts)."""
    k = keys[ok]
    if len(k) < 2:
        return 0.0
    _, inverse, n = np.unique(k, return_inverse=True, return_counts=True)
    n = n.astype(np.float64)
    if link_type != "link":
        return float((n * (n - 1.0)).sum() / 2.0)
    by_source = inverse.ravel().astype(np.int64) * 256 + sources[ok].astype(np.int64)
    _, n_s = np.unique(by_source, return_counts=True)
    return float(((n**2).sum() - (n_s.astype(np.float64) ** 2).sum()) / 2.0)


def _sessions(table: RecordTable, settings: MatchSettings) -> list[_Session]:
    specs = settings.comparisons
    out = []
    for rule in settings.training_sessions():
        if any(table.columns.get(f) is None for f in rule.fields):
            continue  # a field the records do not have: the session would be empty
        fields = set(rule.fields)
        dropped = [k for k, s in enumerate(specs) if fields & set(s.input_fields)]
        if len(dropped) == len(specs):
            continue
        keys, ok = rule_keys(rule, table)
        total = rule_pair_count(keys, ok, table.sources, settings.link_type)
        counts = PatternCounts(tuple(s.n_levels for s in specs))
        out.append(_Session(rule, keys, ok, dropped, counts, total))
    return out


def _compare_candidates(
    table: RecordTable, settings: MatchSettings, keep_pairs: int, sessions: Sequence[_Session]
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
        for session in sessions:
            session.counts.add(levels[session.holds(a, b)])
        n += len(a)
        if kept is not None:
            if n > keep_pairs:
                kept = None
            else:
                kept.left.append(a)
                kept.right.append(b)
                kept.levels.append(levels)
    return counter, report, kept, n


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
    sessions = _sessions(table, settings)
    counter, report, compared, n_candidates = _compare_candidates(
        table, settings, keep_pairs, sessions
    )
    n_total = max(total_pairs(table, settings.link_type), 1.0)
    lab: Labelled | None = None
    if labels:
        lab = Labelled.of(table, specs, labels)
        cand = _candidate_set(table, settings, compared)
        in_cand = np.array([(x, y) in cand or (y, x) in cand for x, y, _ in labels], bool)
        # Labelled pairs enter EM clamped, so they leave the free counts.
        remove_patterns(counter, lab.levels[in_cand])
        for session in sessions:
            remove_patterns(session.counts, lab.levels[in_cand & session.holds(lab.a, lab.b)])

    m, estimated, session_stats = _session_m(sessions, u, lab, label_weight, settings)
    # The prior (and m of any comparison no session estimated) by EM over all candidate
    # pairs, the sessions' m held fixed. Without sessions this is plain EM on everything.
    labelled, flags = lab.patterns() if lab is not None else (None, None)
    # Start as if a tenth of the candidates matched; EM moves it quickly from there.
    prior_start = settings.fixed_prior or max(0.1 * counter.total / n_total, 1e-9)
    labels_of = [s.label for s in specs]
    conditional = [
        (k, labels_of.index(s.u_given)) for k, s in enumerate(specs) if s.u_given is not None
    ]
    em = expectation_maximisation(
        counter,
        u,
        m,
        prior_start,
        n_total,
        labelled=labelled,
        labelled_is_match=flags,
        label_weight=label_weight,
        max_iterations=settings.em_max_iterations,
        tolerance=settings.em_tolerance,
        pseudo_count=settings.em_pseudo_count,
        fixed=estimated,
        conditional=conditional,
    )
    m = enforce_ordinal(em.m, u)
    u_conditional = {k: uc for (k, _), uc in zip(conditional, em.u_conditional, strict=True)}
    for k, spec in enumerate(specs):
        if np.count_nonzero(comparable_rows(table, spec)) < 2:
            # A field (almost) no record has: nothing to learn, so every level is neutral.
            m[k] = u[k] = normalize_levels(np.ones(spec.n_levels))
            u_conditional.pop(k, None)
    prior = settings.fixed_prior or em.prior
    stats = TrainingStats(
        records=len(table),
        total_pairs=n_total,
        candidate_pairs=n_candidates,
        distinct_patterns=len(counter.counts),
        u_sample_pairs=sampled,
        em_iterations=em.iterations,
        em_converged=em.converged and all(x["em_converged"] for x in session_stats),
        expected_matches=em.expected_matches,
        labelled_pairs=len(labels),
        seconds=time.perf_counter() - started,
        blocking=report.as_dict(),
        sessions=session_stats,
    )
    tfs = {
        s.label: tf
        for s in specs
        if s.term_frequency and (tf := build_term_frequencies(table, s)) is not None
    }
    model = MatchModel.from_parameters(
        settings,
        m,
        u,
        prior,
        stats,
        trained_at=dt.datetime.now(dt.UTC),
        term_frequencies=tfs,
        u_conditional=u_conditional,
    )
    return TrainingResult(model, compared, table, report)


def _session_m(
    sessions: Sequence[_Session],
    u: Sequence[FloatArray],
    lab: Labelled | None,
    label_weight: float,
    settings: MatchSettings,
) -> tuple[list[FloatArray], list[bool], list[dict[str, object]]]:
    """m from the training sessions: per comparison, the expected match counts per level of
    every session that estimated it, pooled (then the pseudo-count, as in one M-step).

    Within a session EM runs exactly as over all candidates (u fixed, the session's pairs
    that blocking did not produce counted as non-matches, so its prior is over all pairs
    satisfying the rule), with the rule's comparisons left out: they agree by
    construction there. Returns m (the default start where no session estimated it),
    which comparisons were estimated, and per-session statistics.
    """
    specs = settings.comparisons
    pooled = [np.zeros(s.n_levels) for s in specs]
    estimated = [False] * len(specs)
    stats: list[dict[str, object]] = []
    for session in sessions:
        counts = session.counts.without(session.dropped)
        if counts.total < 1 or session.total_pairs < 1:
            continue
        labelled = flags = None
        if lab is not None:
            labelled, flags = lab.patterns(session.holds(lab.a, lab.b), session.dropped)
        prior_start = max(0.1 * counts.total / session.total_pairs, 1e-9)
        em = expectation_maximisation(
            counts,
            u,
            [default_m_start(s.n_levels) for s in specs],
            prior_start,
            session.total_pairs,
            labelled=labelled,
            labelled_is_match=flags,
            label_weight=label_weight,
            max_iterations=settings.em_max_iterations,
            tolerance=settings.em_tolerance,
            pseudo_count=settings.em_pseudo_count,
        )
        kept = [k for k in range(len(specs)) if k not in session.dropped]
        for k in kept:
            pooled[k][1:] += em.match_counts[k][1:]
            estimated[k] = True
        stats.append(
            {
                "rule": session.rule.name,
                "candidate_pairs": round(counts.total),
                "rule_pairs": session.total_pairs,
                "expected_matches": em.expected_matches,
                "em_iterations": em.iterations,
                "em_converged": em.converged,
                "estimated": [specs[k].label for k in kept],
            }
        )
    m = []
    for k, spec in enumerate(specs):
        if not estimated[k] or pooled[k][1:].sum() <= 0:
            estimated[k] = False
            m.append(default_m_start(spec.n_levels))
            continue
        acc = pooled[k].copy()
        acc[1:] += settings.em_pseudo_count * u[k][1:]
        m.append(normalize_levels(acc))
    return enforce_ordinal(m, u), estimated, stats


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
