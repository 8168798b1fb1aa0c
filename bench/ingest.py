"""Ingest throughput through the CLI path, and the ingest process's peak memory.

    python bench/ingest.py                      # 1,000,000 events into SQLite
    python bench/ingest.py --events 200000 --store neo4j://127.0.0.1:7687

Generates the events once (cached in bench/data/), runs `identity-graph ingest` in a child
process (so its peak RSS is the ingest's own), then profiles a slice in-process to show
where the time goes. Prints a markdown table and writes bench/results/ingest-<store>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, ingest_cli, machine, ready_events_file, write_result


def floor(path: Path, db: Path, batch_size: int) -> float:
    """Seconds to parse the same lines and insert one row each by plain executemany, in
    batches of `batch_size`, on the store's pragmas: the floor ingest is measured against."""
    import sqlite3

    import orjson

    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE events (message_id TEXT PRIMARY KEY, type TEXT, anonymous_id TEXT, "
        "user_id TEXT, at TEXT) WITHOUT ROWID"
    )
    sql = "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)"
    rows: list[tuple[object, ...]] = []
    with path.open("rb") as f:
        for line in f:
            e = orjson.loads(line)
            rows.append(
                (
                    e.get("messageId"),
                    e.get("type"),
                    e.get("anonymousId"),
                    e.get("userId"),
                    e.get("timestamp"),
                )
            )
            if len(rows) >= batch_size:
                conn.execute("BEGIN")
                conn.executemany(sql, rows)
                conn.execute("COMMIT")
                rows.clear()
    if rows:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def profile_slice(path: Path, store_url: str, lines: int, batch_size: int) -> str:
    from identity_graph.config import Settings
    from identity_graph.ingest.readers import read_jsonl
    from identity_graph.service.identity import IdentityService
    from identity_graph.stores import open_store

    service = IdentityService(open_store(store_url), Settings())

    def items():  # type: ignore[no-untyped-def]
        for n, item in enumerate(read_jsonl(path)):
            if n >= lines:
                return
            yield item

    prof = cProfile.Profile()
    prof.enable()
    service.ingest_stream(items(), service.event_parser(), batch_size=batch_size)
    prof.disable()
    service.store.close()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", default=None, help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--profile-events", type=int, default=100_000)
    args = ap.parse_args()

    load_before = f"{os.getloadavg()[0]:.1f}"
    path = ready_events_file(args.people, args.events, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or f"sqlite:///{Path(tmp) / 'bench.db'}"
        kind = store.split(":", 1)[0]
        floor_seconds = floor(path, Path(tmp) / "floor.db", args.batch_size)
        seconds, peak_kib, _ = ingest_cli(path, store, args.batch_size)
        store_mib = (
            round(sum(p.stat().st_size for p in Path(tmp).glob("bench.db*")) / 2**20, 1)
            if kind == "sqlite"
            else None
        )
        profile_store = f"sqlite:///{Path(tmp) / 'profile.db'}" if kind == "sqlite" else store
        if kind != "sqlite":
            from identity_graph.stores import open_store

            open_store(store).reset()
        profile = profile_slice(path, profile_store, args.profile_events, args.batch_size)

    result = {
        "benchmark": "ingest",
        "store": kind,
        "events": args.events,
        "people": args.people,
        "batch_size": args.batch_size,
        "seconds": round(seconds, 2),
        "events_per_second": round(args.events / seconds),
        "floor_events_per_second": round(args.events / floor_seconds),
        "ratio_to_floor": round(floor_seconds / seconds, 3),
        "store_mib": store_mib,
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "input_mib": round(path.stat().st_size / 2**20, 1),
        "machine": machine(),
    }
    write_result(f"ingest-{kind}", result)
    (RESULTS / f"ingest-{kind}-profile.txt").write_text(profile, encoding="utf-8")
    print(
        "| store | events | seconds | events/s | floor events/s | ratio to floor "
        "| peak RSS (MiB) | input (MiB) | store (MiB) | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {kind} | {args.events:,} | {seconds:.1f} | {args.events / seconds:,.0f} | "
        f"{result['floor_events_per_second']:,} | {result['ratio_to_floor']} | "
        f"{peak_kib / 1024:.0f} | {result['input_mib']} | {store_mib} | "
        f"{load_before}–{os.getloadavg()[0]:.1f} |"
    )
    print(
        f"\nprofile of the first {args.profile_events:,} events: "
        f"bench/results/ingest-{kind}-profile.txt"
    )


if __name__ == "__main__":
    main()
