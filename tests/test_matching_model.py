"""Training, scoring, explanations, persistence and incremental scoring end to end."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from identity_graph.devtools.synthetic.person_records import SyntheticData, generate
from identity_graph.matching import (
    BlockingIndex,
    MatchModel,
    MatchRecord,
    RecordTable,
    ScoredPairs,
    default_settings,
    fit_predict,
    iter_predict,
    predict,
    refine_with_labels,
    score_pairs,
    train,
)


@pytest.fixture(scope="module")
def data() -> SyntheticData:
    return generate(400, seed=11)


@pytest.fixture(scope="module")
def table(data: SyntheticData) -> RecordTable:
    return RecordTable.from_records(data.records)


@pytest.fixture(scope="module")
def model(table: RecordTable) -> MatchModel:
    return train(table, default_settings())


def found(scored: object, threshold: float) -> set[tuple[str, str]]:
    return {(min(a, b), max(a, b)) for a, b in scored.at_least(threshold).id_pairs()}  # type: ignore[attr-defined]


def test_quality_on_synthetic_duplicates(
    model: MatchModel, table: RecordTable, data: SyntheticData
) -> None:
    links = found(predict(model, table), 0.96)
    tp = len(links & data.true_pairs)
    assert tp / len(links) >= 0.97
    assert tp / len(data.true_pairs) >= 0.9
    assert model.training.em_converged


def test_contributions_sum_to_match_weight(model: MatchModel, table: RecordTable) -> None:
    scored = predict(model, table)
    assert len(scored) > 100
    matrix = scored.contributions()
    np.testing.assert_allclose(scored.prior_weight + matrix.sum(axis=1), scored.match_weight)
    for pair in list(scored)[:50]:
        assert pair.prior_weight + sum(pair.contributions.values()) == pytest.approx(
            pair.match_weight, abs=1e-9
        )
        steps = pair.waterfall()
        assert steps[0][0] == "prior"
        assert steps[-1][2] == pytest.approx(pair.match_weight)
        assert set(pair.contributions) == set(model.comparison_names)


def test_missing_values_contribute_nothing(model: MatchModel) -> None:
    a = MatchRecord("a", {"given_name": "ann", "surname": "lee", "email": "ann@x.com"})
    b = MatchRecord("b", {"given_name": "ann", "surname": "lee", "email": None})
    c = MatchRecord("c", {"given_name": "ann", "surname": "lee"})  # no email key at all
    scored = score_pairs(model, [a, b, c], [("a", "b"), ("a", "c"), ("b", "c")])
    for pair in scored:
        assert pair.levels["email"] == "null"
        assert pair.contributions["email"] == 0.0
        assert pair.levels["date_of_birth"] == "null"
        assert pair.contributions["date_of_birth"] == 0.0
    # Same evidence whether the value is None or the key is absent.
    assert scored[0].match_weight == scored[1].match_weight == scored[2].match_weight
    for c_params in model.comparisons:
        assert c_params.levels[0].label == "null"
        assert c_params.levels[0].log2_bayes_factor == 0.0


def test_save_load_round_trip(model: MatchModel, table: RecordTable, tmp_path: Path) -> None:
    path = model.save(tmp_path / "model.json")
    loaded = MatchModel.load(path)
    assert loaded == model
    assert loaded.version == model.version
    assert json.loads(path.read_text())["format_version"] == 1
    np.testing.assert_array_equal(
        predict(loaded, table).probability, predict(model, table).probability
    )
    text = loaded.describe()
    assert model.version in text
    assert "swapped_with_surname" in text
    assert "Bayes factor 1" in text
    bad = json.loads(path.read_text())
    bad["format_version"] = 99
    with pytest.raises(ValueError, match="format_version 99"):
        MatchModel.from_json(json.dumps(bad))


def test_fit_predict_matches_train_then_predict(model: MatchModel, table: RecordTable) -> None:
    fitted, scored = fit_predict(table, default_settings())
    assert fitted.comparisons == model.comparisons
    assert fitted.prior == model.prior
    again = predict(model, table)
    np.testing.assert_array_equal(np.sort(scored.match_weight), np.sort(again.match_weight))


def test_streaming_predict_filters_and_chunks(model: MatchModel, table: RecordTable) -> None:
    everything = predict(model, table)
    chunks = list(iter_predict(model, table, min_probability=0.5, chunk_pairs=100))
    assert len(chunks) > 1
    streamed = sum(len(c) for c in chunks)
    assert streamed == int((everything.probability >= 0.5).sum())


def test_incremental_scoring(data: SyntheticData) -> None:
    records = data.records
    old, new = records[:450], records[450:]
    old_table, new_table = RecordTable.from_records(old), RecordTable.from_records(new)
    model = train(old_table, default_settings())
    index = BlockingIndex.build(
        model.settings.blocking_rules, old_table, max_block_size=model.settings.max_block_size
    )
    candidates = index.candidates(new_table)
    new_ids = set(new_table.ids)
    assert all(a in new_ids or b in new_ids for a, b in candidates.id_pairs())
    scored = score_pairs(model, RecordTable.concat([old_table, new_table]), candidates)
    assert len(scored) == len(candidates)
    # Same scores as a full predict over all records, restricted to pairs with a new record.
    full = predict(model, RecordTable.concat([old_table, new_table]))
    full_by_pair = {
        (min(a, b), max(a, b)): p
        for (a, b), p in zip(full.id_pairs(), full.probability.tolist(), strict=True)
        if a in new_ids or b in new_ids
    }
    inc_by_pair = {
        (min(a, b), max(a, b)): p
        for (a, b), p in zip(scored.id_pairs(), scored.probability.tolist(), strict=True)
    }
    assert inc_by_pair == pytest.approx(full_by_pair)


def test_prior_rescales_with_population(model: MatchModel) -> None:
    n = model.training.records
    assert model.prior_for(None) == model.prior
    assert model.prior_for(10 * n) == pytest.approx(model.prior * (n - 1) / (10 * n - 1))


def test_refine_with_labels(model: MatchModel, table: RecordTable, data: SyntheticData) -> None:
    true = sorted(data.true_pairs)[:20]
    labels = [(a, b, True) for a, b in true]
    scored = predict(model, table)
    false = [(a, b) for a, b in scored.id_pairs() if (min(a, b), max(a, b)) not in data.true_pairs][
        :20
    ]
    labels += [(a, b, False) for a, b in false]
    refined = refine_with_labels(model, table, labels)
    assert refined.training.labelled_pairs == 40
    assert refined.version != model.version
    links = found(predict(refined, table), 0.96)
    assert len(links & data.true_pairs) / len(links) >= 0.97


def test_term_frequency_adjustment(model: MatchModel, table: RecordTable) -> None:
    tf = model.term_frequencies["surname"]
    common = max(tf.values, key=tf.values.__getitem__)
    rare = "zzyzx"  # never seen: counts as seen once
    records = [
        MatchRecord("c1", {"surname": common}),
        MatchRecord("c2", {"surname": common}),
        MatchRecord("r1", {"surname": rare}),
        MatchRecord("r2", {"surname": rare}),
    ]
    scored = score_pairs(model, records, [("c1", "c2"), ("r1", "r2")])
    common_pair, rare_pair = scored[0], scored[1]
    assert common_pair.levels["surname"] == rare_pair.levels["surname"] == "exact"
    table = model.bayes_factor_tables[model.comparison_names.index("surname")]
    base, best_fuzzy = table[1], table[2]
    assert common_pair.contributions["surname"] <= base < rare_pair.contributions["surname"]
    # A common name weighs less than the average exact match, never less than a fuzzy one.
    assert common_pair.contributions["surname"] >= best_fuzzy - 1e-9
    for pair in scored:
        assert pair.prior_weight + sum(pair.contributions.values()) == pytest.approx(
            pair.match_weight
        )
    # Frequencies survive the JSON round trip.
    assert MatchModel.from_json(model.to_json()).term_frequencies == model.term_frequencies


def test_models_saved_before_training_sessions_still_load(
    model: MatchModel, table: RecordTable
) -> None:
    """Format 1 gained optional keys (settings.training_rules; per comparison spec fields,
    u_given, fallback_for; conditional parameters; training sessions). A JSON without
    them is an older model and reads as before."""
    data = json.loads(model.to_json())
    del data["settings"]["training_rules"]
    del data["training"]["sessions"]
    specs = data["settings"]["comparisons"]
    for spec in specs:
        del spec["fields"], spec["u_given"], spec["fallback_for"]
    for params in data["comparisons"]:
        del params["conditional"]
    # The old defaults compared the address part by part: keep the postcode only.
    keep = [i for i, c in enumerate(data["comparisons"]) if c["name"] != "address"]
    data["settings"]["comparisons"] = [specs[i] for i in keep]
    data["comparisons"] = [data["comparisons"][i] for i in keep]
    old = MatchModel.from_json(json.dumps(data))
    assert old.settings.training_rules is None and old.training.sessions == []
    assert all(c.conditional is None for c in old.comparisons)
    assert old.settings.training_sessions()  # retraining it uses the default sessions
    scored = predict(old, table)
    assert len(scored) > 0
    np.testing.assert_allclose(
        scored.prior_weight + scored.contributions().sum(axis=1), scored.match_weight
    )


def test_concatenated_chunks_keep_their_adjustments(model: MatchModel, table: RecordTable) -> None:
    chunks = list(iter_predict(model, table, chunk_pairs=100))
    assert len(chunks) > 1 and all(c.adjustments is not None for c in chunks)
    whole = ScoredPairs.concat(chunks)
    np.testing.assert_allclose(
        whole.prior_weight + whole.contributions().sum(axis=1), whole.match_weight
    )
    mixed = [chunks[0], dataclasses.replace(chunks[1], adjustments=None)]
    with pytest.raises(ValueError, match="with and without adjustments"):
        ScoredPairs.concat(mixed)
    with pytest.raises(ValueError, match="with and without adjustments"):
        ScoredPairs.concat(mixed[::-1])


def test_records_are_match_records_or_dicts_not_both(model: MatchModel) -> None:
    record = MatchRecord("r1", {"given_name": "ann"})
    with pytest.raises(TypeError, match="not a mix"):
        predict(model, [record, {"record_id": "r2", "given_name": "ann"}])
