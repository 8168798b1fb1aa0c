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
   A session with fewer than two informative comparisons is skipped (with u fixed, one
   comparison alone cannot tell how many of its pairs match).
3. The prior (`expectation_maximisation` in fellegi_sunter.py) by EM over all candidate
   pairs with the sessions' m fixed; a comparison no session estimated gets its m there
   too (with no usable session this is plain EM on everything). Then (`refit_all`) one
   EM over all candidates with every m free, started there: it corrects the sessions'
   selection (a session blocked on exact names sees only duplicates whose error is
   elsewhere). It is discarded when it finds households instead of persons, and a
   comparison keeps its session m where the refit made a fuzzy level commoner than exact.
   u is then corrected for the matches among the random pairs (`decontaminate`) and the
   model refitted. Every M-step keeps the levels' Bayes factors monotone
   (`monotone_levels`); fields no record has get neutral levels; `training_warnings`
   says in plain words what deserves suspicion.
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
    EMResult,
    FloatArray,
    LevelMatrix,
    PatternCounts,
    default_m_start,
    expectation_maximisation,
    monotone_levels,
    monotone_u,
    normalize_levels,
)
from identity_graph.matching.labels import Labelled, LabelledPair, remove_patterns
from identity_graph.matching.model import MatchModel, TrainingStats
from identity_graph.matching.settings import MatchSettings, default_settings, u_sample_size
from identity_graph.matching.specs import is_side_level
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
        present = [
            k
            for k, s in enumerate(specs)
            if k not in dropped and np.count_nonzero(comparable_rows(table, s)) >= 2
        ]
        if len(present) < 2:
            # With u fixed, one comparison alone cannot tell how many of the session's
            # pairs match (any prior fits, with m to suit): EM would crawl along that
            # ridge forever. The fit over all candidates estimates it instead.
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
    rate = _training_rate(table, settings)
    rng = np.random.default_rng(settings.seed)
    n = 0
    for a, b in iter_candidate_pairs(
        table,
        settings.rules(),
        link_type=settings.link_type,
        max_block_size=settings.max_block_size,
        report=report,
    ):
        n += len(a)
        if rate < 1.0:
            kept = None
            sample = rng.random(len(a)) < rate
            a, b = a[sample], b[sample]
        levels = compare(specs, table, a, b)
        # Each sampled pair stands for 1/rate candidates: EM sees the same proportions.
        counter.add(levels, 1.0 / rate)
        for session in sessions:
            session.counts.add(levels[session.holds(a, b)], 1.0 / rate)
        if kept is not None:
            if n > keep_pairs:
                kept = None
            else:
                kept.left.append(a)
                kept.right.append(b)
                kept.levels.append(levels)
    return counter, report, kept, n


def _training_rate(table: RecordTable, settings: MatchSettings) -> float:
    """The share of candidate pairs to compare for training: all of them, unless the rules'
    pairs (an upper bound: a pair several rules share counts once per rule) exceed
    `train_max_pairs`. EM needs the proportions of the comparison patterns, which a uniform
    sample of millions of pairs gives as well as all of them; scoring still compares every
    candidate."""
    budget = settings.train_max_pairs
    if budget is None or total_pairs(table, settings.link_type) <= budget:
        return 1.0
    bound = 0.0
    for rule in settings.rules():
        keys, ok = rule_keys(rule, table)
        bound += rule_pair_count(keys, ok, table.sources, settings.link_type)
    return 1.0 if bound <= budget else budget / bound


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
    u_sampled, sampled = estimate_u(
        table, specs, settings.link_type, u_sample_size(settings, len(table)), settings.seed
    )
    u = u_sampled
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
    witnesses = [
        None if (w := specs[k].u_given_among) is None else labels_of.index(w)
        for k, _ in conditional
    ]

    def em_all(m_start: list[FloatArray], prior0: float, fixed: list[bool]) -> EMResult:
        return _run_em(
            settings,
            counter,
            u,
            m_start,
            prior0,
            n_total,
            (labelled, flags, label_weight),
            fixed=fixed,
            conditional=conditional,
            witnesses=witnesses,
        )

    stages: list[tuple[str, EMResult]] = []
    em = em_all(m, prior_start, estimated)
    stages.append(("prior, session m fixed", em))
    session_m = em.m
    fixed = list(estimated)
    notes: list[str] = []  # what the refit decided, for the warnings
    sides = side_levels(settings)
    if settings.refit_all and any(estimated):
        refit = em_all(em.m, em.prior, [False] * len(specs))
        stages.append(("all m over all candidates", refit))
        # Over all candidates, relatives (same surname, address, phone) can outnumber the
        # duplicates; where the comparisons do not model that, EM takes "same household"
        # for its match class and the expected matches jump several-fold. Correcting the
        # sessions' selection never does that (it moves them by a fraction), so such a
        # refit is discarded and the sessions' m kept.
        if refit.expected_matches <= _REFIT_DRIFT * em.expected_matches:
            # Per comparison, the refit must not make a fuzzy level commoner among matches
            # than exact agreement where the sessions did not: that is EM finding some
            # other group of pairs (neighbours one postcode digit apart), not correcting
            # a selection (which in the sessions shows the other way round).
            kept_session = [
                k
                for k in range(len(specs))
                if estimated[k]
                and not _plausible(refit.m[k], sides[k])
                and _plausible(session_m[k], sides[k])
            ]
            fixed = [k in kept_session for k in range(len(specs))]
            start = [session_m[k] if fixed[k] else refit.m[k] for k in range(len(specs))]
            em = em_all(start, refit.prior, fixed) if kept_session else refit
            if kept_session:
                stages.append(("all m but the implausible ones", em))
            notes += [
                f"{specs[k].label}: the fit over all candidate pairs made a fuzzy level "
                "commoner among matches than exact agreement; the training sessions' m "
                "were kept for it"
                for k in kept_session
            ]
        else:
            notes.append(
                "the fit over all candidate pairs expected "
                f"{refit.expected_matches:,.0f} matches where the training sessions found "
                f"{em.expected_matches:,.0f}: it took groups of similar non-matches "
                "(households) for matches, so the sessions' m were kept; compare the "
                "address as one field (full_address_comparison) or condition the surname "
                "on it (u_given)"
            )
    if settings.refit_all:
        for _ in range(_DECONTAMINATION_ROUNDS):
            u = [decontaminate(uk, mk, em.prior) for uk, mk in zip(u_sampled, em.m, strict=True)]
            em = em_all(em.m, em.prior, fixed)
            stages.append(("u without matches, refit", em))
    m = em.m
    u_conditional = {
        k: monotone_u(m[k], uc, sides[k])
        for (k, _), uc in zip(conditional, em.u_conditional, strict=True)
    }
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
        em_iterations=sum(r.iterations for _, r in stages),
        # The last fit is the model; sessions and earlier stages are its starting point.
        em_converged=em.converged,
        em_last_change=em.last_change,
        em_stages=[
            {
                "stage": name,
                "iterations": r.iterations,
                "converged": r.converged,
                "expected_matches": r.expected_matches,
            }
            for name, r in stages
        ],
        expected_matches=em.expected_matches,
        labelled_pairs=len(labels),
        seconds=time.perf_counter() - started,
        blocking=report.as_dict(),
        sessions=session_stats,
        warnings=training_warnings(
            settings, em, session_m, estimated, session_stats, table, u_sampled
        )
        + notes,
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
        em = _run_em(
            settings,
            counts,
            u,
            [default_m_start(s.n_levels) for s in specs],
            prior_start,
            session.total_pairs,
            (labelled, flags, label_weight),
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
        m.append(monotone_levels(acc, u[k], side_levels(settings)[k])[0])
    return m, estimated, stats


# Rounds of u correction and refit; each moves u by the change in prior * m, which settles
# within a couple of rounds (the prior is ~1e-4 or less on real data).
_DECONTAMINATION_ROUNDS = 3
# A refit over all candidates expecting this many times the matches of the sessions' fit
# has found households, not persons (see fit_table).
_REFIT_DRIFT = 1.5


def decontaminate(u_random: FloatArray, m: FloatArray, prior: float) -> FloatArray:
    """u of non-matches from u of random pairs, which include the matches.

    A random pair matches with probability `prior`, so what sampling measures is
    (1 - prior) * u + prior * m. Where duplicates are many (a file that is half duplicates)
    the matches make up most of the random pairs that agree exactly on a birth date, and
    u taken as measured makes that agreement look several times commoner among
    non-matches than it is; the Bayes factor comes out too small by that factor.
    """
    corrected = (u_random - prior * m) / (1.0 - prior)
    # Never below a tenth of what was measured: a level sampling saw is not impossible.
    return normalize_levels(np.maximum(corrected, 0.1 * u_random))


Labels = tuple[PatternCounts | None, npt.NDArray[np.bool_] | None, float]


def _run_em(
    settings: MatchSettings,
    counts: PatternCounts,
    u: Sequence[FloatArray],
    m_start: Sequence[FloatArray],
    prior_start: float,
    total: float,
    labels: Labels,
    *,
    fixed: Sequence[bool] | None = None,
    conditional: Sequence[tuple[int, int]] = (),
    witnesses: Sequence[int | None] | None = None,
) -> EMResult:
    """EM with the settings' iteration limit, tolerance, pseudo-count and monotone levels."""
    labelled, flags, label_weight = labels
    return expectation_maximisation(
        counts,
        u,
        m_start,
        prior_start,
        total,
        labelled=labelled,
        labelled_is_match=flags,
        label_weight=label_weight,
        max_iterations=settings.em_max_iterations,
        tolerance=settings.em_tolerance,
        pseudo_count=settings.em_pseudo_count,
        fixed=fixed,
        conditional=conditional,
        side_levels=side_levels(settings),
        witnesses=witnesses,
    )


def _plausible(m: FloatArray, side: Sequence[int]) -> bool:
    """Exact agreement is at least as common among matches as any single fuzzy level."""
    fuzzy = [lvl for lvl in range(2, len(m) - 1) if lvl not in side]
    return not fuzzy or bool(m[1] >= max(m[lvl] for lvl in fuzzy))


def side_levels(settings: MatchSettings) -> list[tuple[int, ...]]:
    """Per comparison, the levels off the closeness scale (swaps): see monotone_levels."""
    return [
        tuple(i for i, label in enumerate(s.level_labels) if is_side_level(label))
        for s in settings.comparisons
    ]


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


# Sessions' m and the final fit differing by more than this (in log2 Bayes factor of a
# level that holds at least 5% of matches) is worth telling: the sessions' selection.
_SESSION_SHIFT_BITS = 1.0
# Fewer expected matches than this and m rests on a handful of pairs.
_FEW_MATCHES = 30.0


def training_warnings(
    settings: MatchSettings,
    em: EMResult,
    session_m: Sequence[FloatArray],
    estimated: Sequence[bool],
    session_stats: Sequence[Mapping[str, object]],
    table: RecordTable,
    u: Sequence[FloatArray],
) -> list[str]:
    """Plain-words notes on anything in the fit that a user should not take on trust."""
    specs = settings.comparisons
    sides = side_levels(settings)
    out: list[str] = []
    if not em.converged:
        out.append(
            f"EM stopped after {settings.em_max_iterations} iterations without converging "
            f"(parameters still moved by {em.last_change:.2g}, tolerance "
            f"{settings.em_tolerance:g}): the likelihood is flat, usually because few pairs "
            "tell matches from non-matches; probabilities near the thresholds are uncertain"
        )
    for x in session_stats:
        if not x["em_converged"]:
            out.append(
                f"training session {x['rule']} did not converge; it only gave the final "
                "fit its starting point"
            )
    if em.expected_matches < _FEW_MATCHES:
        out.append(
            f"only ~{em.expected_matches:.0f} matching pairs were found: m rests on very few "
            "pairs; label pairs in the review queue or train on more records"
        )
    for k, spec in enumerate(specs):
        if np.count_nonzero(comparable_rows(table, spec)) < 2:
            continue  # a field the records do not have: neutral, nothing to say
        labels = spec.level_labels
        for block in em.pooled[k] if em.pooled else []:
            if any(i in sides[k] for i in block):
                continue  # a swap no match shows weighs like "else": nothing wrong
            names = ", ".join(labels[i] for i in block)
            out.append(
                f"{spec.label}: levels {names} were given one weight: the data made a looser "
                "agreement stronger evidence than a closer one, which cannot hold for the "
                "same person; monotone weights were fitted instead"
            )
        if estimated[k]:
            bf_s = np.log2(np.maximum(session_m[k][1:], 1e-7) / np.maximum(u[k][1:], 1e-7))
            bf_f = np.log2(np.maximum(em.m[k][1:], 1e-7) / np.maximum(u[k][1:], 1e-7))
            weight = np.maximum(session_m[k][1:], em.m[k][1:])
            shift = np.where(weight >= 0.05, np.abs(bf_f - bf_s), 0.0)
            if float(shift.max()) > _SESSION_SHIFT_BITS and settings.refit_all:
                lvl = int(np.argmax(shift)) + 1
                out.append(
                    f"{spec.label} {labels[lvl]}: m was {session_m[k][lvl]:.3g} in the "
                    f"training sessions and {em.m[k][lvl]:.3g} over all candidate pairs: "
                    "the sessions see only matches that agree on their blocking fields, "
                    "so the fit over all candidates was kept"
                )
        informative = float(
            np.abs(np.log2(np.maximum(em.m[k][1:], 1e-7) / np.maximum(u[k][1:], 1e-7))).max()
        )
        if informative < 0.5:
            out.append(
                f"{spec.label}: every level weighs less than half a bit: it tells "
                "matches and non-matches apart hardly at all"
            )
    return out
