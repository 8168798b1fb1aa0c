"""Scale check for identity_graph.matching on synthetic people (default settings).

    python bench/matching_scale.py --records 100000 200000

Trains on all records (streaming pattern counts), then streams `iter_predict` keeping
pairs with probability >= 0.5, and reports time per stage, candidate pairs, peak memory
(ru_maxrss), precision/recall at 0.96 against the generator's truth, and the incremental
path (BlockingIndex over all but 1,000 records, then candidates + score_pairs for them).
Results go to bench/results/matching_scale.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from identity_graph.matching import (  # noqa: E402
    BlockingIndex,
    RecordTable,
    default_settings,
    iter_predict,
    score_pairs,
    train,
)
from identity_graph.matching.synthetic import generate_population  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int) -> dict[str, object]:
    data = generate_population(n, seed=n)
    started = time.perf_counter()
    table = RecordTable.from_records(data.records)
    t_table = time.perf_counter()
    model = train(table, default_settings())
    t_train = time.perf_counter()
    links: set[tuple[str, str]] = set()
    scored = 0
    for chunk in iter_predict(model, table, min_probability=0.5):
        scored += len(chunk)
        strong = chunk.at_least(0.96)
        links.update((min(a, b), max(a, b)) for a, b in strong.id_pairs())
    t_predict = time.perf_counter()
    # Incremental: index all but the last 1,000 records, then block and score that batch.
    batch = 1_000
    old = table.take(np.arange(n - batch))
    new = table.take(np.arange(n - batch, n))
    t0 = time.perf_counter()
    index = BlockingIndex.build(model.settings.blocking_rules, old,
                                max_block_size=model.settings.max_block_size)
    t_index = time.perf_counter()
    candidates = index.candidates(new)
    inc = score_pairs(model, table, candidates, population=n)
    t_inc = time.perf_counter()
    tp = len(links & data.true_pairs)
    return {
        "records": n,
        "candidate_pairs": model.training.candidate_pairs,
        "skipped_blocks": sum(len(r["skipped_blocks"])  # type: ignore[index]
                              for r in model.training.blocking["rules"]),  # type: ignore[union-attr]
        "pairs_kept_p>=0.5": scored,
        "seconds_table": round(t_table - started, 2),
        "seconds_train": round(t_train - t_table, 2),
        "seconds_predict": round(t_predict - t_train, 2),
        "seconds_total": round(t_predict - started, 2),
        "seconds_index_build": round(t_index - t0, 2),
        "seconds_batch_1000": round(t_inc - t_index, 3),
        "batch_pairs": len(inc),
        "peak_rss_mb": round(peak_mb()),
        "precision@0.96": round(tp / max(len(links), 1), 4),
        "recall@0.96": round(tp / max(len(data.true_pairs), 1), 4),
        "em_iterations": model.training.em_iterations,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/matching_scale.json")
    args = parser.parse_args()
    rows = [run(n) for n in args.records]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
