"""Ingest at scale on SQLite: the rate, the file size and the largest B-trees as the store
grows, one step of events at a time, to plan past one machine.

    python bench/scale.py                                   # 10,000,000 events, steps of 1M
    python bench/scale.py --events 3000000 --people 300000 --step 500000
    python bench/scale.py --limit 3000000 --cache-mib 4096   # the first 3M, a larger cache

Generates the events once (cached in bench/data/), then feeds them step by step to
`identity-graph ingest` in a child process each, into one store, the way daily files
arrive. After each step (outside its timing) it records the step's events/s and peak RSS,
the store's size on disk, its file I/O per event and, from SQLite's `dbstat`, the size of
each table and index: the rate falls as those B-trees outgrow the writer's cache
(`PRAGMA cache_size`, 512 MiB) and every event dirties pages at random in them. Each step's
figures are written as it ends
(bench/results/scale-sqlite.json; with --cache-mib N, the writer's cache set as a user
sets it, scale-sqlite-cacheN.json), so a long run stopped early keeps what it measured.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, ingest_cli, machine, ready_events_file, write_result

from identity_graph.stores.sqlite.store import DEFAULT_WRITER_CACHE_MIB

MIB = 2**20


def write_step(events: BinaryIO, n: int, chunk: Path) -> int:
    """The next `n` lines of `events` into `chunk`, streamed; how many there were. The lines
    are never held here: a child's peak RSS as the kernel reports it includes what its
    parent held when it forked."""
    with chunk.open("wb") as out:
        written = 0
        for line in itertools.islice(events, n):
            out.write(line)
            written += 1
    return written


def btrees(db: Path, top: int) -> tuple[list[dict[str, object]], dict[str, int]]:
    """The `top` largest tables and indexes, by the pages they occupy, and the rows of the
    identifiers, links and persons tables."""
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?", (top,)
        ).fetchall()
        counts = {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 (fixed names)
            for table in ("identifiers", "links", "persons")
        }
    finally:
        conn.close()
    return [{"name": n, "mib": round(size / MIB, 1)} for n, size in rows], counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--step", type=int, default=1_000_000)
    ap.add_argument("--limit", type=int, default=None, help="ingest only the first LIMIT events")
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--top", type=int, default=6, help="largest B-trees to report per step")
    ap.add_argument(
        "--cache-mib", type=int, default=None, help="the writer's cache (default: the store's)"
    )
    ap.add_argument("--dir", type=Path, default=DATA, help="where the store is built (removed)")
    args = ap.parse_args()

    path = ready_events_file(args.people, args.events, args.seed)
    name = "scale-sqlite" + (f"-cache{args.cache_mib}" if args.cache_mib else "")
    steps: list[dict[str, object]] = []
    result: dict[str, object] = {
        "benchmark": "scale",
        "store": "sqlite",
        "events": args.events,
        "people": args.people,
        "step": args.step,
        "batch_size": args.batch_size,
        "writer_cache_mib": args.cache_mib or DEFAULT_WRITER_CACHE_MIB,
        "steps": steps,
        "machine": machine(),
    }
    print(
        "| events so far | step events/s | step peak RSS (MiB) | store (MiB) "
        "| largest B-trees (MiB) | load |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp, path.open("rb") as f:
        work = Path(tmp)
        db = work / "scale.db"
        store = f"sqlite:///{db}"
        chunk = work / "step.jsonl"
        done = 0
        left = args.limit if args.limit is not None else args.events
        while left > 0 and (n := write_step(f, min(args.step, left), chunk)):
            left -= n
            load = os.getloadavg()[0]
            seconds, peak_kib, io = ingest_cli(chunk, store, args.batch_size, args.cache_mib)
            done += n
            size = sum(p.stat().st_size for p in work.glob("scale.db*"))
            trees, counts = btrees(db, args.top)
            step = {
                "events_so_far": done,
                "step_events": n,
                "seconds": round(seconds, 1),
                "events_per_second": round(n / seconds),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                # Per event, through the OS (page cache hits included): reads are the
                # writer's cache misses and the checkpoint reading back the WAL; writes
                # are each dirty page twice, to the WAL and again at the checkpoint.
                "read_kib_per_event": round(io.get("rchar", 0) / n / 1024, 1),
                "written_kib_per_event": round(io.get("wchar", 0) / n / 1024, 1),
                "store_mib": round(size / MIB, 1),
                "btrees": trees,
                "rows": counts,
                "load_average_1m": [round(load, 2), round(os.getloadavg()[0], 2)],
            }
            steps.append(step)
            write_result(name, result)
            largest = ", ".join(f"{b['name']} {b['mib']}" for b in trees)
            print(
                f"| {done:,} | {step['events_per_second']:,} | {peak_kib / 1024:.0f} | "
                f"{size / MIB:,.0f} | {largest} | {load:.1f}–{os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    if steps:
        print(f"rows at the end: {steps[-1]['rows']}")


if __name__ == "__main__":
    main()
