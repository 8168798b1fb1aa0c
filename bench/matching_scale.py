"""Scale: identity_graph.matching vs Splink (DuckDB) deduplicating synthetic person records.

    python bench/matching_scale.py --records 100000 300000 1000000

Records: `identity_graph.devtools.synthetic.iter_person_records(make_population(...),
duplicate_rate=0.4)`, the first N (households share surname, address and phone area;
duplicates are messy). `true_person` is the truth and is withheld from both tools.

Each tool runs in its own child process (`--child`) on the same input rows (record ids and
the ten field columns, pickled by the parent), so the two never share a heap; peak memory
is the child's VmHWM (peak RSS) after its predict step, minus nothing (the input rows are
in it, for both). Wall time is end to end from those rows: ours standardization (table),
training and streamed scoring; Splink's DataFrame construction and cleaning, prior, u,
two EM sessions and predict. Both keep pairs scored >= 0.96; the parent counts them against
every true duplicate pair (pairwise precision / recall / F1, blocking misses included).
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

import numpy as np  # noqa: E402

FIELDS = (
    "given_name", "surname", "date_of_birth", "street_number", "address_1", "suburb",
    "postcode", "state", "phone", "email",
)  # fmt: skip
THRESHOLD = 0.96
DUPLICATE_RATE = 0.4
TOOLS = ("ours", "splink")


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


def evaluate(pairs: np.ndarray, person: np.ndarray) -> dict[str, Any]:
    """Pairwise: distinct linked pairs vs all true duplicate pairs (as the bench always did:
    links & true_pairs over len(links) and len(true_pairs))."""
    _, sizes = np.unique(person, return_counts=True)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    if len(pairs):
        lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
        keys = np.unique(lo * len(person) + hi)
        lo, hi = keys // len(person), keys % len(person)
        links, tp = len(keys), int((person[lo] == person[hi]).sum())
    else:
        links = tp = 0
    precision = tp / max(links, 1)
    recall = tp / max(true_pairs, 1)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {
        "true_pairs": true_pairs,
        "links@0.96": links,
        "true_links@0.96": tp,
        "precision@0.96": round(precision, 4),
        "recall@0.96": round(recall, 4),
        "f1@0.96": round(f1, 4),
    }


# -- ours (child) -----------------------------------------------------------------------


def child_ours(ids: list[str], columns: dict[str, list[Any]]) -> dict[str, Any]:
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
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    kept = 0
    for chunk in iter_predict(model, table, min_probability=0.5):
        kept += len(chunk)
        strong = chunk.at_least(THRESHOLD)
        left.append(strong.left)
        right.append(strong.right)
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
    pairs = np.column_stack([np.concatenate(left), np.concatenate(right)]) if left else None
    return {
        "pairs": pairs,  # row indices (the table keeps input order)
        "pairs_compared": model.training.candidate_pairs,
        "skipped_blocks": sum(
            len(r["skipped_blocks"])  # type: ignore[index]
            for r in model.training.blocking["rules"]  # type: ignore[union-attr]
        ),
        "pairs_kept_p>=0.5": kept,
        "seconds_table": round(t_table - started, 2),
        "seconds_train": round(t_train - t_table, 2),
        "seconds_predict": round(t_predict - t_train, 2),
        "seconds_total": round(t_predict - started, 2),
        "peak_rss_mb": round(peak),
        "em_iterations": model.training.em_iterations,
        "seconds_index_build": round(t_index - t0, 2),
        "seconds_batch_1000": round(t_inc - t_index, 3),
        "batch_pairs": len(inc),
    }


# -- Splink (child) ---------------------------------------------------------------------


def splink_blocking_rules() -> list[Any]:
    """Ours in Splink's terms (DuckDB has no soundex/metaphone: prefixes stand in)."""
    from splink import block_on

    return [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("substr(surname, 1, 3)", "substr(date_of_birth, 1, 4)"),
        block_on("date_of_birth", "substr(given_name, 1, 1)"),
        block_on("postcode", "street_number"),
        block_on("postcode", "substr(given_name, 1, 2)"),
        block_on("phone"),
        block_on("email"),
    ]


def splink_frame(ids: list[str], columns: dict[str, list[Any]]) -> Any:
    """The cleaning a Splink user does first (its docs: lower-case, trim, nulls for blanks;
    ASCII-fold names, digits-only phones)."""
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
    return df


def child_splink(ids: list[str], columns: dict[str, list[Any]]) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    n = len(ids)
    started = time.perf_counter()
    df = splink_frame(ids, columns)
    t_frame = time.perf_counter()
    rules = splink_blocking_rules()
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address_1", [1, 3]),
            cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.EmailComparison("email"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("email")], recall=0.7
    )
    t_prior = time.perf_counter()
    u_pairs = float(min(max(10 * n, 1_000_000), 10_000_000))
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=2)
    t_u = time.perf_counter()
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    t_em = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=THRESHOLD)
    out = pred.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]]
    t_predict = time.perf_counter()
    peak = vm_hwm_mb()
    index = {rid: i for i, rid in enumerate(ids)}
    pairs = np.column_stack(
        [
            out["unique_id_l"].map(index).to_numpy(dtype=np.int64),
            out["unique_id_r"].map(index).to_numpy(dtype=np.int64),
        ]
    )
    # Pairs its blocking generates (counted after the timed run).
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    counts = count_comparisons_from_blocking_rules(
        db_api.register(df),
        blocking_rules=rules,
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        record_sample_proportion=1.0,
    )
    compared = counts[-1]["cumulative_comparison_count"] if counts else None
    return {
        "pairs": pairs,
        "pairs_compared": int(compared) if compared is not None else None,
        "pairs_predicted>=0.96": len(out),
        "u_max_pairs": int(u_pairs),
        "seconds_frame": round(t_frame - started, 2),
        "seconds_prior": round(t_prior - t_frame, 2),
        "seconds_u": round(t_u - t_prior, 2),
        "seconds_em": round(t_em - t_u, 2),
        "seconds_predict": round(t_predict - t_em, 2),
        "seconds_total": round(t_predict - started, 2),
        "peak_rss_mb": round(peak),
    }


def run_child(tool: str, data_path: Path, result_path: Path) -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("splink").setLevel(logging.ERROR)
    with data_path.open("rb") as fh:
        ids, columns = pickle.load(fh)
    baseline = vm_rss_mb()
    result = (child_ours if tool == "ours" else child_splink)(ids, columns)
    result["rss_after_loading_input_mb"] = round(baseline)
    with result_path.open("wb") as fh:
        pickle.dump(result, fh)


# -- driver -----------------------------------------------------------------------------


def run_tool(tool: str, data_path: Path, timeout: float) -> dict[str, Any]:
    result_path = data_path.with_suffix(f".{tool}.pkl")
    cmd = [sys.executable, __file__, "--child", tool, str(data_path), str(result_path)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/matching_scale.json")
    parser.add_argument(
        "--child", nargs=3, metavar=("TOOL", "DATA", "RESULT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="matching_scale_") as tmp:
        for n in args.records:
            t0 = time.perf_counter()
            ids, columns, person = make_rows(n, args.seed)
            seconds_generate = round(time.perf_counter() - t0, 1)
            data_path = Path(tmp) / f"rows_{n}.pkl"
            with data_path.open("wb") as fh:
                pickle.dump((ids, columns), fh, protocol=pickle.HIGHEST_PROTOCOL)
            del ids, columns
            for tool in args.tools:
                load_before = [round(x, 2) for x in os.getloadavg()]
                result = run_tool(tool, data_path, args.timeout)
                pairs = result.pop("pairs", None)
                row: dict[str, Any] = {"records": n, "tool": tool}
                if "error" not in result:
                    row.update(evaluate(pairs if pairs is not None else np.empty((0, 2)), person))
                row.update(result)
                row["loadavg_before"] = load_before
                row["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
                row["seconds_generate_rows"] = seconds_generate
                rows.append(row)
                print(json.dumps(row), flush=True)
            data_path.unlink()

    for n in args.records:  # ratios ours / Splink at each size, where both finished
        by = {r["tool"]: r for r in rows if r["records"] == n and "error" not in r}
        if "ours" in by and "splink" in by:
            o, s = by["ours"], by["splink"]
            o["time_ours/splink"] = round(o["seconds_total"] / s["seconds_total"], 3)
            o["f1_ours/splink"] = round(o["f1@0.96"] / s["f1@0.96"], 4) if s["f1@0.96"] else None
            o["peak_ours/splink"] = round(o["peak_rss_mb"] / s["peak_rss_mb"], 3)

    keys = [
        "records", "tool", "seconds_total", "pairs_compared", "peak_rss_mb", "precision@0.96",
        "recall@0.96", "f1@0.96", "time_ours/splink", "f1_ours/splink", "loadavg_before",
        "error",
    ]  # fmt: skip
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r.get(k, "-")) for k in keys) + " |")
    out = {
        "command": "python bench/matching_scale.py " + " ".join(sys.argv[1:]),
        "data": f"identity_graph.devtools.synthetic.iter_person_records(make_population(..., "
        f"seed={args.seed}), duplicate_rate={DUPLICATE_RATE}), first N records",
        "threshold": THRESHOLD,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {p: version(p) for p in ("numpy", "rapidfuzz", "pandas", "splink", "duckdb")},
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
