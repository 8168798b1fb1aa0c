"""Scale: identity_graph.matching vs Splink (DuckDB) and recordlinkage (ECM) on synthetic people.

    python bench/matching_scale.py --records 100000 1000000

Records: `identity_graph.devtools.synthetic.iter_person_records(make_population(...),
duplicate_rate=0.4)`, the first N (households share surname, address and phone area;
duplicates are messy). `true_person` is the truth; no tool sees it.

Each tool runs in its own child process (`--child`) on the same input rows (record ids and
the ten field columns, pickled by the parent), so the tools never share a heap; peak memory
is the child's VmHWM (peak RSS) after its predict step (the input rows are in it, for all).
Wall time is end to end from those rows; every tool scores all its candidate pairs, and
the child then tallies them against the truth (a separate file it reads only for that,
its time excluded): pairs, mean probability and true share per probability bin, from
which precision / recall / F1 at 0.96 and 0.90, the Brier score and the calibration
verdict follow (see bench/_calibration.py). Tools:

* ours: `train` with `default_settings()` and streaming `iter_predict`.
* splink-simple: Splink's docs/demos/examples/duckdb/quick_and_dirty_persons (historical
  persons: ForenameSurnameComparison, DOB, postcode, place; deterministic-rule prior,
  u by sampling, no EM), on the columns this data has.
* splink-best: docs/demos/examples/duckdb/deduplicate_50k_synthetic (the same people,
  the full recipe: its blocking rules, prior, u from 1e7 pairs, EM sessions on names and
  on DOB), on the columns this data has.
* ecm: recordlinkage's tutorial comparisons and ECMClassifier, indexed by blocks on
  several columns as its tutorial advises for size (given_name & surname; date_of_birth):
  its tutorial's single `given_name` block makes 27 M pairs at 100,000 records. Not run
  above --ecm-max-records (pandas holds every pair and its features in memory).

Ours also runs the incremental path after that (BlockingIndex over all but 1,000 records,
then candidates + score_pairs for them), outside its wall time and peak figure.
Results go to bench/results/matching_scale.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import require_packages  # noqa: E402

NEEDS = {  # import name -> pip package, per tool (numpy for all)
    "ours": {"numpy": "numpy"},
    "splink-simple": {"numpy": "numpy", "pandas": "pandas", "splink": "splink", "duckdb": "duckdb"},
    "splink-best": {"numpy": "numpy", "pandas": "pandas", "splink": "splink", "duckdb": "duckdb"},
    "ecm": {
        "numpy": "numpy",
        "pandas": "pandas",
        "sklearn": "scikit-learn",
        "recordlinkage": "recordlinkage",
    },
}

import numpy as np  # noqa: E402
from _calibration import (  # noqa: E402
    AUTO_LINK,
    REVIEW,
    RULE,
    Tally,
    bin_sql,
    metrics,
    prf,
    reliability_cells,
)

FIELDS = (
    "given_name", "surname", "date_of_birth", "street_number", "address_1", "suburb",
    "postcode", "state", "phone", "email",
)  # fmt: skip
DUPLICATE_RATE = 0.4
TOOLS = ("ours", "splink-simple", "splink-best", "ecm")
ECM_MAX_RECORDS = 200_000


def vm_hwm_mb() -> float:
    """Peak RSS of this process image (VmHWM; unlike ru_maxrss it is not inherited across
    the fork + exec that started the child)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- data (parent) ----------------------------------------------------------------------


def make_rows(n: int, seed: int) -> tuple[list[str], dict[str, list[Any]], np.ndarray]:
    from identity_graph.devtools.synthetic import iter_person_records, make_population

    # ~1.64 records per person at duplicate_rate 0.4; make enough people, keep the first n.
    pop = make_population(int(n / 1.55) + 100, seed=seed)
    ids: list[str] = []
    columns: dict[str, list[Any]] = {f: [] for f in FIELDS}
    person: list[int] = []
    for rec in iter_person_records(pop, duplicate_rate=DUPLICATE_RATE):
        if len(ids) == n:
            break
        ids.append(str(rec["record_id"]))
        for f in FIELDS:
            columns[f].append(rec[f])
        person.append(int(rec["true_person"]))  # type: ignore[arg-type]
    if len(ids) < n:
        raise RuntimeError(f"generator gave {len(ids)} records, wanted {n}")
    return ids, columns, np.asarray(person, dtype=np.int64)


def true_pair_count(person: np.ndarray) -> int:
    _, sizes = np.unique(person, return_counts=True)
    return int((sizes * (sizes - 1) // 2).sum())


def tally_dict(t: Tally) -> dict[str, list[float]]:
    return {k: getattr(t, k).tolist() for k in ("pairs", "true", "sum_p", "sum_sq")}


def tally_from(d: dict[str, list[float]]) -> Tally:
    return Tally(*(np.asarray(d[k]) for k in ("pairs", "true", "sum_p", "sum_sq")))


# -- ours (child) -----------------------------------------------------------------------


def child_ours(ids: list[str], columns: dict[str, list[Any]], person: np.ndarray) -> dict[str, Any]:
    from identity_graph.matching import (
        BlockingIndex,
        RecordTable,
        Standardizer,
        default_settings,
        iter_predict,
        score_pairs,
        train,
    )

    n = len(ids)
    started = time.perf_counter()
    table = RecordTable.from_columns(ids, columns, standardizer=Standardizer(invalid_dates="null"))
    t_table = time.perf_counter()
    model = train(table, default_settings())
    t_train = time.perf_counter()
    tally, seconds_tally = Tally(), 0.0
    for chunk in iter_predict(model, table, min_probability=0.0):
        t0 = time.perf_counter()  # the evaluation's share of the loop, excluded below
        tally.add(chunk.probability, person[chunk.left] == person[chunk.right])
        seconds_tally += time.perf_counter() - t0
    t_predict = time.perf_counter()
    peak = vm_hwm_mb()
    # Incremental: index all but the last 1,000 records, then block and score that batch.
    batch = 1_000
    old = table.take(np.arange(n - batch))
    new = table.take(np.arange(n - batch, n))
    t0 = time.perf_counter()
    index = BlockingIndex.build(
        model.settings.blocking_rules, old, max_block_size=model.settings.max_block_size
    )
    t_index = time.perf_counter()
    inc = score_pairs(model, table, index.candidates(new), population=n)
    t_inc = time.perf_counter()
    return {
        "tally": tally_dict(tally),
        "pairs_compared": model.training.candidate_pairs,
        "skipped_blocks": sum(
            len(r["skipped_blocks"])  # type: ignore[index]
            for r in model.training.blocking["rules"]  # type: ignore[union-attr]
        ),
        "seconds_table": round(t_table - started, 2),
        "seconds_train": round(t_train - t_table, 2),
        "seconds_predict": round(t_predict - t_train - seconds_tally, 2),
        "seconds_total": round(t_predict - started - seconds_tally, 2),
        "seconds_evaluation_excluded": round(seconds_tally, 2),
        "peak_rss_mb": round(peak),
        "em_iterations": model.training.em_iterations,
        "seconds_index_build": round(t_index - t0, 2),
        "seconds_batch_1000": round(t_inc - t_index, 3),
        "batch_pairs": len(inc),
    }


# -- Splink (child) ---------------------------------------------------------------------
#
# Both setups follow Splink's examples on its historical-persons data (first name,
# surname, dob, birth place, postcode, occupation), the closest documented kind of data:
# given_name/surname for its names, date_of_birth (YYYYMMDD) for dob, postcode for its
# postcode_fake, suburb for its birth_place (the only place column here). Street, state
# and phone are left out as in its febrl4 example ("we don't consider further location
# columns as they will be strongly correlated with postcode"); email, which the
# historical data lacks, is compared with EmailComparison and blocked on as the
# getting-started tutorial (04_Estimating_model_parameters) does, in the best setup.


def splink_frame(ids: list[str], columns: dict[str, list[Any]]) -> Any:
    """The cleaning a Splink user does first (its docs: lower-case, trim, nulls for blanks;
    ASCII-fold names, digits-only phones), plus the concatenated-name column its examples
    add for the term frequencies of ForenameSurnameComparison."""
    import pandas as pd

    df = pd.DataFrame({"unique_id": ids, **columns}, dtype="string")
    for c in FIELDS:
        s = df[c].str.strip().str.lower()
        if c in ("given_name", "surname", "address_1", "suburb"):
            s = s.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
        if c == "phone":
            s = s.str.replace(r"\D", "", regex=True).str[-10:]
        if c in ("date_of_birth", "postcode", "street_number"):
            s = s.str.replace(r"\s", "", regex=True)
        df[c] = s.mask(s == "")
    df["full_name"] = df["given_name"] + " " + df["surname"]
    return df


def _splink_names_dob() -> list[Any]:
    """Both historical-persons examples compare names and birth date alike."""
    import splink.comparison_library as cl

    return [
        cl.ForenameSurnameComparison(
            "given_name", "surname", forename_surname_concat_col_name="full_name"
        ),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
    ]


def splink_setup(best: bool) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    if not best:  # quick_and_dirty_persons
        return {
            "rules": [
                block_on("full_name"),
                block_on("substr(full_name,1,6)", "date_of_birth", "suburb"),
                block_on("date_of_birth", "suburb"),
                block_on("postcode"),
            ],
            "comparisons": [
                *_splink_names_dob(),
                cl.LevenshteinAtThresholds("postcode", 2),
                cl.JaroWinklerAtThresholds("suburb", 0.9).configure(
                    term_frequency_adjustments=True
                ),
            ],
            "deterministic": [
                "l.full_name = r.full_name",
                "l.postcode = r.postcode and l.date_of_birth = r.date_of_birth",
            ],
            "recall": 0.6,
            "u_pairs": 2e6,
            "em_rules": [],  # the quick-and-dirty example trains no m
        }
    return {  # deduplicate_50k_synthetic
        "rules": [
            block_on("substr(given_name,1,3)", "substr(surname,1,4)"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("postcode", "given_name"),
            block_on("postcode", "surname"),
            block_on("date_of_birth", "suburb"),
            block_on("substr(postcode,1,3)", "date_of_birth"),
            block_on("substr(postcode,1,3)", "given_name"),
            block_on("substr(postcode,1,3)", "surname"),
            block_on("substr(given_name,1,2)", "substr(surname,1,2)", "substr(date_of_birth,1,4)"),
            block_on("email"),
        ],
        "comparisons": [
            *_splink_names_dob(),
            # Its PostcodeComparison parses UK postcodes (sector, district, area); these are
            # 5-digit codes, so the Levenshtein comparison of its quick-and-dirty example.
            cl.LevenshteinAtThresholds("postcode", 2),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        "deterministic": [
            block_on("given_name", "surname", "date_of_birth"),
            block_on("substr(given_name,1,2)", "surname", "substr(postcode,1,2)"),
            block_on("date_of_birth", "postcode"),
        ],
        "recall": 0.6,
        "u_pairs": 1e7,
        "em_rules": [block_on("given_name", "surname"), block_on("date_of_birth")],
    }


def child_splink(
    ids: list[str], columns: dict[str, list[Any]], person: np.ndarray, best: bool
) -> dict[str, Any]:
    import pandas as pd
    from splink import DuckDBAPI, Linker, SettingsCreator

    started = time.perf_counter()
    df = splink_frame(ids, columns)
    t_frame = time.perf_counter()
    setup = splink_setup(best)
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=setup["rules"],
        comparisons=setup["comparisons"],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        setup["deterministic"], recall=setup["recall"]
    )
    t_prior = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=setup["u_pairs"], seed=2)
    t_u = time.perf_counter()
    for rule in setup["em_rules"]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    t_em = time.perf_counter()
    pred = linker.inference.predict()  # every blocked pair, with its probability
    t_predict = time.perf_counter()
    peak = vm_hwm_mb()
    # Tally inside DuckDB, against the truth registered only now.
    db_api.duckdb_con.register("bench_truth", pd.DataFrame({"unique_id": ids, "person": person}))
    p = "cast(p.match_probability as double)"
    y = "cast(ta.person = tb.person as integer)"
    rows = pred.query_sql(
        f"select {bin_sql(p)} as bin_id, count(*) as n, sum({y}) as t, "  # noqa: S608 (own fragments)
        f"sum({p}) as sp, sum(({p} - {y}) * ({p} - {y})) as sq "
        "from {this} p join bench_truth ta on p.unique_id_l = ta.unique_id "
        "join bench_truth tb on p.unique_id_r = tb.unique_id group by 1",
    ).as_pandas_dataframe()
    tally = Tally()
    for r in rows.itertuples():
        tally.add_bin(int(r.bin_id), int(r.n), int(r.t), float(r.sp), float(r.sq))
    return {
        "tally": tally_dict(tally),
        "pairs_compared": int(tally.pairs.sum()),
        "u_max_pairs": int(setup["u_pairs"]),
        "seconds_frame": round(t_frame - started, 2),
        "seconds_prior": round(t_prior - t_frame, 2),
        "seconds_u": round(t_u - t_prior, 2),
        "seconds_em": round(t_em - t_u, 2),
        "seconds_predict": round(t_predict - t_em, 2),
        "seconds_total": round(t_predict - started, 2),
        "peak_rss_mb": round(peak),
    }


# -- recordlinkage ECM (child) ----------------------------------------------------------


def child_ecm(ids: list[str], columns: dict[str, list[Any]], person: np.ndarray) -> dict[str, Any]:
    import pandas as pd
    import recordlinkage

    started = time.perf_counter()
    df = pd.DataFrame(columns, index=pd.RangeIndex(len(ids)))
    indexer = recordlinkage.Index()
    indexer.block(["given_name", "surname"])
    indexer.block("date_of_birth")
    candidates = indexer.index(df)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    features = compare.compute(candidates, df)
    ecm = recordlinkage.ECMClassifier()
    links = ecm.fit_predict(features)
    prob = ecm.prob(features)
    t_done = time.perf_counter()
    peak = vm_hwm_mb()
    left = prob.index.get_level_values(0).to_numpy()
    right = prob.index.get_level_values(1).to_numpy()
    tally = Tally()
    tally.add(prob.to_numpy(dtype=float), person[left] == person[right])
    own_left = links.get_level_values(0).to_numpy()
    own_right = links.get_level_values(1).to_numpy()
    return {
        "tally": tally_dict(tally),
        "own_decision": (len(links), int((person[own_left] == person[own_right]).sum())),
        "pairs_compared": len(candidates),
        "seconds_total": round(t_done - started, 2),
        "peak_rss_mb": round(peak),
    }


def run_child(tool: str, data_path: Path, truth_path: Path, result_path: Path) -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("splink").setLevel(logging.ERROR)
    logging.getLogger("recordlinkage").setLevel(logging.ERROR)
    with data_path.open("rb") as fh:
        ids, columns = pickle.load(fh)
    baseline = vm_rss_mb()
    person = np.load(truth_path)  # read by the evaluation only, never by the tools
    if tool == "ours":
        result = child_ours(ids, columns, person)
    elif tool == "ecm":
        result = child_ecm(ids, columns, person)
    else:
        result = child_splink(ids, columns, person, best=tool == "splink-best")
    result["rss_after_loading_input_mb"] = round(baseline)
    with result_path.open("wb") as fh:
        pickle.dump(result, fh)


# -- driver -----------------------------------------------------------------------------


def run_tool(tool: str, data_path: Path, truth_path: Path, timeout: float) -> dict[str, Any]:
    result_path = data_path.with_suffix(f".{tool}.pkl")
    cmd = [
        sys.executable, __file__, "--child", tool, str(data_path), str(truth_path),
        str(result_path),
    ]  # fmt: skip
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-5:]
        return {"error": f"exit {proc.returncode}: " + " / ".join(tail)}
    with result_path.open("rb") as fh:
        result: dict[str, Any] = pickle.load(fh)
    result_path.unlink()
    result["seconds_child_process"] = round(time.perf_counter() - started, 1)
    return result


def version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "-"


def f4(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    parser.add_argument(
        "--ecm-max-records",
        type=int,
        default=ECM_MAX_RECORDS,
        help="skip recordlinkage above this size (it holds every pair in pandas)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/matching_scale.json")
    parser.add_argument(
        "--child", nargs=4, metavar=("TOOL", "DATA", "TRUTH", "RESULT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], *(Path(a) for a in args.child[1:]))
        return

    require_packages(
        "bench/matching_scale.py", {k: v for t in args.tools for k, v in NEEDS[t].items()}
    )
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="matching_scale_") as tmp:
        for n in args.records:
            t0 = time.perf_counter()
            ids, columns, person = make_rows(n, args.seed)
            seconds_generate = round(time.perf_counter() - t0, 1)
            true_pairs = true_pair_count(person)
            data_path, truth_path = Path(tmp) / f"rows_{n}.pkl", Path(tmp) / f"truth_{n}.npy"
            with data_path.open("wb") as fh:
                pickle.dump((ids, columns), fh, protocol=pickle.HIGHEST_PROTOCOL)
            np.save(truth_path, person)
            del ids, columns
            for tool in args.tools:
                row: dict[str, Any] = {"records": n, "tool": tool, "true_pairs": true_pairs}
                if tool == "ecm" and n > args.ecm_max_records:
                    row["error"] = (
                        f"not run above {args.ecm_max_records:,} records: recordlinkage "
                        "keeps every candidate pair and its features in pandas (tens of "
                        "millions of pairs here) and compares strings pair by pair"
                    )
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    continue
                load_before = [round(x, 2) for x in os.getloadavg()]
                result = run_tool(tool, data_path, truth_path, args.timeout)
                if "tally" in result:
                    row.update(metrics(tally_from(result.pop("tally")), true_pairs))
                if "own_decision" in result:
                    row["own_decision"] = prf(*result.pop("own_decision"), true_pairs)
                row.update(result)
                row["loadavg_before"] = load_before
                row["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
                row["seconds_generate_rows"] = seconds_generate
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "reliability"}), flush=True)
            data_path.unlink()
            truth_path.unlink()

    for n in args.records:  # ratios ours / each peer at each size, where both finished
        by = {r["tool"]: r for r in rows if r["records"] == n and "error" not in r}
        if "ours" not in by:
            continue
        o = by["ours"]
        for tool, r in by.items():
            if tool != "ours":
                f1 = r[f"at_{AUTO_LINK}"]["f1"]
                o[f"time_ours/{tool}"] = round(o["seconds_total"] / r["seconds_total"], 3)
                o[f"f1_ours/{tool}"] = round(o[f"at_{AUTO_LINK}"]["f1"] / f1, 4) if f1 else None

    print(
        "| records | tool | wall s | pairs compared | peak MB | P@0.96 | R@0.96 | F1@0.96 | "
        "F1@0.90 | own decision F1 | Brier | calibration | load before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['records']:,} | {r['tool']} | {r['error']} |" + " |" * 10)
            continue
        a, b = r[f"at_{AUTO_LINK}"], r[f"at_{REVIEW}"]
        own = r.get("own_decision")
        print(
            f"| {r['records']:,} | {r['tool']} | {r['seconds_total']} | {r['pairs_compared']:,} | "
            f"{r['peak_rss_mb']:,} | {f4(a['precision'])} | {f4(a['recall'])} | {f4(a['f1'])} | "
            f"{f4(b['f1'])} | {f4(own['f1']) if own else '-'} | {r['brier']:.5f} | "
            f"{r['calibration'].split(' ')[0]} | {r['loadavg_before']} |"
        )
    print("\nCalibration (pairs by predicted probability; true = observed share):")
    for r in rows:
        if "error" not in r:
            print(
                f"- {r['records']:,} {r['tool']}: {r['calibration']}; "
                f"{reliability_cells(r['reliability'])}"
            )
    out = {
        "command": "python bench/matching_scale.py " + " ".join(sys.argv[1:]),
        "data": f"identity_graph.devtools.synthetic.iter_person_records(make_population(..., "
        f"seed={args.seed}), duplicate_rate={DUPLICATE_RATE}), first N records",
        "thresholds": {"auto_link": AUTO_LINK, "review": REVIEW},
        "calibration_rule": RULE,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {
            p: version(p)
            for p in ("numpy", "rapidfuzz", "pandas", "splink", "duckdb", "recordlinkage")
        },
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
