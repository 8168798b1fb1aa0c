"""EM recovers known m and prior from comparison vectors drawn from them."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import numpy as np
import pytest

from identity_graph.matching import (
    DEFAULT_COMPARISONS,
    DEFAULT_TRAINING_RULES,
    MatchModel,
    MatchSettings,
    RecordTable,
    address_comparison,
    default_settings,
    distance_comparison,
    exact_match,
    predict,
    train,
)
from identity_graph.matching.fellegi_sunter import (
    U_CONDITIONAL_PSEUDO_PAIRS,
    PatternCounts,
    default_m_start,
    expectation_maximisation,
    log2_bayes_factors,
    monotone_levels,
    monotone_u,
    probability_from_weight,
)
from identity_graph.matching.training import decontaminate

# Level 0 is "null"; rows are levels 1.. (exact, fuzzy..., else).
TRUE_M = [
    np.array([0, 0.85, 0.10, 0.05]),
    np.array([0, 0.70, 0.20, 0.10]),
    np.array([0, 0.90, 0.10]),
    np.array([0, 0.60, 0.25, 0.10, 0.05]),
]
TRUE_U = [
    np.array([0, 0.01, 0.04, 0.95]),
    np.array([0, 0.02, 0.08, 0.90]),
    np.array([0, 0.05, 0.95]),
    np.array([0, 0.001, 0.01, 0.05, 0.939]),
]
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
    levels = np.concatenate((draw(rng, n_matches, TRUE_M), draw(rng, n_pairs - n_matches, TRUE_U)))
    counts = PatternCounts(tuple(len(p) for p in TRUE_M))
    counts.add(levels)
    assert counts.total == n_pairs
    em = expectation_maximisation(
        counts,
        TRUE_U,
        [default_m_start(len(p)) for p in TRUE_M],
        0.05,
        n_pairs,
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
    levels = np.concatenate((draw(rng, n_matches, TRUE_M), draw(rng, n_pairs - n_matches, TRUE_U)))
    blocked = (levels[:, 0] == 1) | (levels[:, 1] == 1)
    counts = PatternCounts(tuple(len(p) for p in TRUE_M))
    counts.add(levels[blocked])
    em = expectation_maximisation(
        counts,
        TRUE_U,
        [default_m_start(len(p)) for p in TRUE_M],
        0.5 * blocked.mean(),
        n_pairs,
        pseudo_count=0.0,
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


# -- the household trap ---------------------------------------------------------------------


def household_records(seed: int = 3) -> tuple[list[dict[str, str | None]], dict[str, int]]:
    """People in households that share surname, address and phone area code, each with
    their own given name and birth date; a third of them also have a duplicate record
    with the errors data entry makes. Returns raw rows and record -> person."""
    rng = random.Random(seed)
    given = [
        "anna",
        "ben",
        "carla",
        "dev",
        "emma",
        "farid",
        "grace",
        "hugo",
        "ines",
        "jack",
        "kate",
        "liam",
        "maya",
        "noah",
        "olga",
        "paul",
        "rosa",
        "sam",
        "tara",
        "victor",
    ]
    surnames = [
        "smith",
        "nguyen",
        "garcia",
        "kowalski",
        "okafor",
        "haddad",
        "larsen",
        "moreau",
        "tanaka",
        "silva",
        "byrne",
        "novak",
    ]
    streets = [
        "george street",
        "high road",
        "park avenue",
        "mill lane",
        "church street",
        "station road",
        "king street",
        "queen parade",
    ]
    rows: list[dict[str, str | None]] = []
    truth: dict[str, int] = {}
    person = 0
    for _ in range(120):
        surname = rng.choice(surnames)
        address = (str(rng.randint(1, 400)), rng.choice(streets), str(rng.randint(2000, 2050)))
        area = str(rng.randint(200, 999))
        for member in rng.sample(given, rng.randint(2, 4)):
            born = f"{rng.randint(1940, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            base: dict[str, str | None] = {
                "given_name": member,
                "surname": surname,
                "date_of_birth": born,
                "street_number": address[0],
                "address_1": address[1],
                "postcode": address[2],
                "phone": area + str(rng.randint(1_000_000, 9_999_999)),
            }
            copies = [base]
            if rng.random() < 0.35:
                dup = dict(base)
                fault = rng.random()
                if fault < 0.3:
                    name = dup["given_name"] or ""
                    dup["given_name"] = name[:2] + name[3:]  # a dropped letter
                elif fault < 0.5:
                    dup["date_of_birth"] = None
                elif fault < 0.7:
                    dup["phone"] = None
                elif fault < 0.85:
                    dup["address_1"] = (dup["address_1"] or "").replace("street", "st")
                copies.append(dup)
            for row in copies:
                rid = f"r{len(rows)}"
                rows.append({"record_id": rid, **row})
                truth[rid] = person
            person += 1
    rng.shuffle(rows)
    return rows, truth


PART_BY_PART = (  # the address compared field by field, as before full_address_comparison
    *[
        c.model_copy(update={"u_given": None})
        for c in DEFAULT_COMPARISONS
        if not c.fields and c.fallback_for is None
    ],
    exact_match("street_number"),
    address_comparison("address_1"),
    distance_comparison("postcode", (1,)),
)


def fit(settings: MatchSettings, rows: list[dict[str, str | None]]) -> tuple[MatchModel, list]:
    table = RecordTable.from_dicts(rows)
    model = train(table, settings)
    return model, predict(model, table, min_probability=0.96).id_pairs()


def m_and_weight(model: MatchModel, comparison: str, level: str) -> tuple[float, float]:
    (params,) = [c for c in model.comparisons if c.name == comparison]
    (lv,) = [lv for lv in params.levels if lv.label == level]
    return lv.m or 0.0, lv.log2_bayes_factor


def test_household_members_are_not_matched() -> None:
    """Relatives share surname, address and phone area: most candidate pairs are
    households, not duplicates. EM must still learn "same person", not "same household"."""
    rows, truth = household_records()
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())
    model, links = fit(default_settings(), rows)
    right = sum(truth[a] == truth[b] for a, b in links)
    assert right == len(links)  # no household member is linked to another
    assert right / true_pairs >= 0.9
    assert [s["rule"] for s in model.training.sessions] == list(DEFAULT_TRAINING_RULES)

    # Control: the data does spring the trap on one EM over all candidate pairs with the
    # address compared part by part (the model before training sessions): its "match"
    # class is the household - given names and birth dates barely matter.
    naive, naive_links = fit(default_settings(training_rules=(), comparisons=PART_BY_PART), rows)
    assert sum(truth[a] != truth[b] for a, b in naive_links) > len(links)
    assert m_and_weight(naive, "given_name", "exact")[0] < 0.3
    assert m_and_weight(naive, "date_of_birth", "else")[1] > -1.0

    # Training sessions alone already learn the person: each session's pairs share a
    # birth date or a full name, which relatives rarely do.
    sessions, _ = fit(default_settings(comparisons=PART_BY_PART), rows)
    assert m_and_weight(sessions, "given_name", "exact")[0] > 0.5
    assert m_and_weight(sessions, "date_of_birth", "else")[1] < -5.0


def test_monotone_levels_pool_a_looser_level_that_weighs_more() -> None:
    u = np.array([0.0, 0.001, 0.002, 0.997])
    # Unconstrained, one-edit (level 2) would weigh more than exact (level 1).
    m, pooled = monotone_levels(np.array([0.0, 10.0, 60.0, 30.0]), u)
    bf = np.log2(m[1:] / u[1:])
    assert pooled == [(1, 2)]
    assert bf[0] == pytest.approx(bf[1]) and bf[1] > bf[2]
    assert m[1:].sum() == pytest.approx(1.0)
    # Already monotone: m is the counts, normalized, nothing pooled.
    m, pooled = monotone_levels(np.array([0.0, 80.0, 10.0, 10.0]), u)
    assert pooled == [] and m[1] == pytest.approx(0.8)
    # A side level (a swap) weighs between "else" and "exact": two swapped names are
    # never more evidence than two exact ones.
    u5 = np.array([0.0, 0.01, 0.01, 0.001, 0.979])
    m, pooled = monotone_levels(np.array([0.0, 40.0, 50.0, 9.0, 1.0]), u5, side=(3,))
    assert pooled == [(1, 2, 3)]
    assert np.log2(m[3] / u5[3]) == pytest.approx(np.log2(m[1] / u5[1]))
    m, pooled = monotone_levels(np.array([0.0, 50.0, 40.0, 0.0, 10.0]), u5, side=(3,))
    assert pooled == [(3, 4)]
    m, pooled = monotone_levels(np.array([0.0, 50.0, 40.0, 2.0, 8.0]), u5, side=(3,))
    assert pooled == []
    # A conditional u is made monotone against m the same way, its total unchanged.
    u_cond = monotone_u(np.array([0.0, 0.5, 0.3, 0.2]), np.array([0.0, 0.5, 0.1, 0.4]))
    bf = np.log2(np.array([0.5, 0.3, 0.2]) / u_cond[1:])
    assert bf[0] == pytest.approx(bf[1]) and bf[1] >= bf[2]
    assert u_cond[1:].sum() == pytest.approx(1.0)


def test_decontaminate_removes_the_matches_from_random_pair_u() -> None:
    u_random = np.array([0.0, 0.0005, 0.0015, 0.998])
    m = np.array([0.0, 0.9, 0.05, 0.05])
    u = decontaminate(u_random, m, prior=5e-4)
    assert u[1] == pytest.approx((0.0005 - 5e-4 * 0.9) / (1 - 5e-4), rel=1e-3)
    assert u[1:].sum() == pytest.approx(1.0)


def one_error_records(
    people: int = 3_000, seed: int = 3
) -> tuple[list[dict[str, str]], set[tuple[str, str]]]:
    """Names and birth date only; each duplicate has exactly one error (RLdata-like), so
    among matches an error in one field means none in the others."""
    rng = random.Random(seed)
    starts, ends = ("an", "be", "car", "da", "el", "fr", "ge", "ha"), ("na", "rt", "lo", "ke")
    given = [a + b for a in starts for b in ends]
    stems, mids = ("mu", "sch", "ba", "ko", "we", "ri"), ("el", "ar", "in", "ov", "ul")
    surnames = [a + b + c for a in stems for b in mids for c in ("ler", "mann", "ski", "er")]
    rows: list[dict[str, str]] = []
    truth: set[tuple[str, str]] = set()
    for p in range(people):
        base = {
            "given_name": rng.choice(given),
            "surname": rng.choice(surnames),
            "date_of_birth": f"{rng.randint(1930, 2000)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
        }
        rows.append({"record_id": f"p{p}", **base})
        if rng.random() < 0.1:
            dup = dict(base)
            field = rng.choice(["given_name", "surname", "date_of_birth", "date_of_birth"])
            value = dup[field]
            if field == "date_of_birth":
                # One digit of the year, or of the day (days 1-28 stay valid at +1).
                i = rng.choice([2, 3, 9])
                dup[field] = value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]
            else:
                i = rng.randrange(1, len(value))
                dup[field] = value[:i] + rng.choice("aeiouxyz") + value[i + 1 :]
            rows.append({"record_id": f"p{p}d", **dup})
            truth.add((f"p{p}", f"p{p}d"))
    return rows, truth


def test_thin_data_trains_sane_monotone_weights() -> None:
    """Three fields, one error per duplicate: the sessions blocked on names see only
    duplicates whose error is in the date (and vice versa). The final fit over all
    candidates must correct that: an exact date weighs more than one edit, an exact name
    more than a fuzzy one, and most duplicates reach the merge threshold."""
    rows, truth = one_error_records()
    table = RecordTable.from_dicts(rows)
    model = train(table, default_settings())
    assert model.training.em_converged
    for name in ("given_name", "surname", "date_of_birth"):
        (c,) = [c for c in model.comparisons if c.name == name]
        bf = [lv.log2_bayes_factor for lv in c.levels[1:] if not lv.label.startswith("swapped")]
        assert all(x >= y - 1e-9 for x, y in itertools.pairwise(bf)), (name, bf)
    assert m_and_weight(model, "date_of_birth", "exact")[0] > 0.3
    assert any("training sessions" in w for w in model.training.warnings)
    links = {tuple(sorted(p)) for p in predict(model, table, min_probability=0.96).id_pairs()}
    correct = len(links & truth)
    assert correct / len(links) >= 0.97
    assert correct / len(truth) >= 0.7


def test_warnings_say_what_is_suspicious_in_plain_words() -> None:
    rows, _ = one_error_records(people=3_000)
    table = RecordTable.from_dicts(rows)
    stopped = train(table, default_settings(em_max_iterations=2))
    assert not stopped.training.em_converged
    assert any("without converging" in w for w in stopped.training.warnings)
    assert "WARNINGS" in stopped.describe()
    tiny = train(RecordTable.from_dicts(rows[:60]), default_settings())
    assert any("very few" in w for w in tiny.training.warnings)


def test_conditional_u_among_witness_disagreements() -> None:
    """u_given_among: the conditional u of comparison 0 (where comparison 1 agrees) comes
    only from pairs whose witness, comparison 2, disagrees - surely two people - so the
    duplicates among the stratum's pairs cannot make agreement look common there."""
    counts = PatternCounts((3, 3, 3))
    # In the stratum (comparison 1 exact): 40 "two people" pairs (witness else), 4 of
    # them agreeing on comparison 0; and 100 duplicates agreeing on everything.
    counts.add_counts(
        np.array([[1, 1, 2], [2, 1, 2], [1, 1, 1]], dtype=np.int8),
        np.array([4.0, 36.0, 100.0]),
    )
    u = [np.array([0.0, 0.01, 0.99])] * 3
    m = [np.array([0.0, 0.95, 0.05])] * 3
    kwargs = dict(fixed=[True, True, True], conditional=[(0, 1)], max_iterations=50)
    plain = expectation_maximisation(counts, u, m, 1e-3, 1e6, **kwargs)  # type: ignore[arg-type]
    among = expectation_maximisation(
        counts,
        u,
        m,
        1e-3,
        1e6,
        witnesses=[2],
        **kwargs,  # type: ignore[arg-type]
    )
    expected = (4.0 + U_CONDITIONAL_PSEUDO_PAIRS * 0.01) / (40.0 + U_CONDITIONAL_PSEUDO_PAIRS)
    assert among.u_conditional[0][1] == pytest.approx(expected, rel=0.05)
    assert among.u_conditional[0][1] <= plain.u_conditional[0][1] + 1e-12


def test_training_on_a_sample_of_candidates_fits_the_same_model() -> None:
    """Beyond train_max_pairs, training compares a uniform sample of the candidate pairs,
    each standing for 1/rate of them: the fit is that of all pairs, within noise."""
    rows, _ = household_records()
    table = RecordTable.from_dicts(rows)
    full = train(table, default_settings(train_max_pairs=None))
    sampled = train(table, default_settings(train_max_pairs=full.training.candidate_pairs // 4))
    assert sampled.training.candidate_pairs == full.training.candidate_pairs
    assert sampled.prior == pytest.approx(full.prior, rel=0.15)
    for a, b in zip(full.m_probabilities(), sampled.m_probabilities(), strict=True):
        assert np.abs(a - b).max() < 0.05
