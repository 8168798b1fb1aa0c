"""SQLite against Neo4j on the same data: ingest throughput, lookup latency, harness cost.

    python bench/neo4j_vs_sqlite.py                   # 1,000,000 events, starts Neo4j itself
    python bench/neo4j_vs_sqlite.py --events 200000   # the first 200,000 of the same stream
    python bench/neo4j_vs_sqlite.py --neo4j-uri bolt://127.0.0.1:7687   # a running server

1. Starts the Neo4j test harness (`scripts/neo4j-test-server`, jars from its warm cache)
   and times it until Bolt answers, unless --neo4j-uri is given; measures the size of the
   harness's jar cache (`du -sb`), which is what a first start downloads.
2. Ingests the same event stream (`bench/_common.events_file`, its first --events lines)
   through `identity-graph ingest` in a child process into a fresh SQLite file and into
   the (reset) Neo4j database: events/s each and the ratio.
3. Serves each store with `identity-graph serve --workers 2` and sends the same open-loop
   lookups (bench/lookup.py's Go load generator; the same identifiers, drawn from the store)
   at each of --rates: p50/p99 latency per store and rate.

Writes bench/results/neo4j_vs_sqlite.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import DATA, events_file, machine, write_result
from ingest import run_cli
from lookup import load, served


def harness_lib_dir() -> Path | None:
    """The jar directory scripts/neo4j-test-server resolves into (see its cache_root)."""
    root = Path(
        os.environ.get("NEO4J_HARNESS_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "identity-graph"
    )
    libs = sorted(root.glob("neo4j-*/lib-*"), key=lambda p: p.stat().st_mtime)
    return libs[-1] if libs else None


def du_bytes(path: Path) -> int:
    done = subprocess.run(["du", "-sb", str(path)], check=True, capture_output=True, text=True)
    return int(done.stdout.split()[0])


def head_events(source: Path, events: int, directory: Path) -> Path:
    """The first `events` lines of the full stream (the same events, fewer of them)."""
    path = directory / f"events-first-{events}.jsonl"
    with source.open("rb") as src, path.open("wb") as dst:
        for n, line in enumerate(src):
            if n >= events:
                break
            dst.write(line)
    return path


def lookup_paths(store_url: str, count: int, seed: int, path: Path) -> int:
    """`count` identifiers drawn at random from the store (the same for both stores)."""
    from identity_graph.stores import open_store
    from identity_graph.stores.contract import assignments

    store = open_store(store_url)
    with store.reader() as r:
        keys = sorted(key for key, _ in assignments(r))
    store.close()
    sample = random.Random(seed).sample(keys, min(count, len(keys)))
    lines = []
    for key in sample:
        type_, _, value = key.partition(":")
        lines.append(f"/v1/identifiers/{type_}/{urllib.parse.quote(value, safe='')}/person")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def serve_and_load(
    store_url: str, paths: Path, rates: list[float], seconds: float, workers: int
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    with served(store_url, workers) as base:
        load(base, paths, 200, 3)  # warm-up: connections, caches
        for rate in rates:
            out[f"{rate:g}"] = load(base, paths, rate, seconds)
            time.sleep(2)  # let a saturated server drain before the next rate
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--neo4j-uri", default=None, help="use this Neo4j (it is reset!)")
    ap.add_argument("--pagecache-mb", type=int, default=512, help="harness page cache")
    ap.add_argument("--rates", default="100,300,1000", help="lookup rates, requests/s")
    ap.add_argument("--seconds", type=float, default=20.0, help="per lookup rate")
    ap.add_argument("--lookups", type=int, default=20_000, help="distinct identifiers")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r]

    full = events_file(args.people, 1_000_000, args.seed)
    server = None
    harness: dict[str, object] = {}
    lib = harness_lib_dir()
    if lib is not None:
        harness["jar_cache_dir"] = str(lib)
        harness["jar_cache_bytes"] = du_bytes(lib)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = full if args.events >= 1_000_000 else head_events(full, args.events, tmp)
        try:
            if args.neo4j_uri:
                neo4j_url = args.neo4j_uri
            else:
                from tests.neo4j_server import Neo4jTestServer

                server = Neo4jTestServer(extra_args=["--pagecache-mb", str(args.pagecache_mb)])
                started = time.perf_counter()
                neo4j_url = server.start()
                harness["start_seconds"] = round(time.perf_counter() - started, 2)
                harness["pagecache_mb"] = args.pagecache_mb
                print(f"Neo4j harness ready in {harness['start_seconds']} s", file=sys.stderr)
            from identity_graph.stores import open_store

            store = open_store(neo4j_url)
            store.reset()
            store.close()
            sqlite_url = f"sqlite:///{tmp / 'bench.db'}"

            ingest: dict[str, dict[str, float]] = {}
            for name, url in (("sqlite", sqlite_url), ("neo4j", neo4j_url)):
                print(f"ingesting {args.events:,} events into {name} ...", file=sys.stderr)
                seconds, _peak_kib = run_cli(path, url, args.batch_size)
                ingest[name] = {
                    "seconds": round(seconds, 2),
                    "events_per_second": round(args.events / seconds),
                }
                print(f"  {seconds:.1f} s", file=sys.stderr)

            paths = DATA / "neo4j-vs-sqlite-paths.txt"
            n_paths = lookup_paths(sqlite_url, args.lookups, args.seed, paths)
            lookups: dict[str, dict[str, dict[str, object]]] = {}
            for name, url in (("sqlite", sqlite_url), ("neo4j", neo4j_url)):
                print(f"lookups against {name} at {args.rates} req/s ...", file=sys.stderr)
                lookups[name] = serve_and_load(url, paths, rates, args.seconds, args.workers)
            store = open_store(sqlite_url)
            with store.reader() as r:
                stats_sqlite = r.stats().model_dump()
            store.close()
            store = open_store(neo4j_url)
            with store.reader() as r:
                stats_neo4j = r.stats().model_dump()
            store.close()
        finally:
            if server is not None:
                server.stop()

    load_avg = os.getloadavg()
    result: dict[str, object] = {
        "benchmark": "neo4j_vs_sqlite",
        "events": args.events,
        "people": args.people,
        "batch_size": args.batch_size,
        "ingest": ingest,
        "ingest_ratio_sqlite_over_neo4j": round(
            ingest["sqlite"]["events_per_second"] / ingest["neo4j"]["events_per_second"], 2
        ),
        "stats": {"sqlite": stats_sqlite, "neo4j": stats_neo4j},
        "lookup": {
            "identifiers_sampled": n_paths,
            "seconds_per_rate": args.seconds,
            "workers": args.workers,
            "results": lookups,
        },
        "harness": harness,
        "load_average_at_end": [round(x, 2) for x in load_avg],
        "machine": machine(),
    }
    write_result("neo4j_vs_sqlite", result)

    print(f"\n{args.events:,} events, {stats_sqlite['identifiers']:,} identifiers\n")
    print("| measure | SQLite | Neo4j | SQLite / Neo4j |")
    print("|---|---|---|---|")
    s, n = ingest["sqlite"], ingest["neo4j"]
    print(
        f"| ingest events/s (CLI) | {s['events_per_second']:,} | {n['events_per_second']:,} | "
        f"{result['ingest_ratio_sqlite_over_neo4j']} |"
    )
    print(f"| ingest seconds | {s['seconds']} | {n['seconds']} | |")
    for rate in rates:
        key = f"{rate:g}"
        a, b = lookups["sqlite"][key], lookups["neo4j"][key]
        for stat in ("achieved_rps", "p50_ms", "p99_ms"):
            x, y = float(a[stat]), float(b[stat])  # type: ignore[arg-type]
            ratio = f"{x / y:.2f}" if y else ""
            print(f"| lookup {key} req/s: {stat} | {x:.1f} | {y:.1f} | {ratio} |")
        errs = [
            sum(int(v) for k, v in r["statuses"].items() if k != "200")  # type: ignore[union-attr]
            for r in (a, b)
        ]
        print(f"| lookup {key} req/s: errors | {errs[0]} | {errs[1]} | |")
    if "start_seconds" in harness:
        print(f"| Neo4j harness start (warm jar cache) | | {harness['start_seconds']} s | |")
    if "jar_cache_bytes" in harness:
        mib = int(harness["jar_cache_bytes"]) / 2**20  # type: ignore[call-overload]
        print(f"| Neo4j harness jars (du -sb) | | {mib:.0f} MiB | |")


if __name__ == "__main__":
    main()
