"""Profile lookup by identifier over HTTP on loopback: requests/s and p50/p99 latency.

    python bench/lookup.py                        # >= 1,000,000 identifiers, 1,000 req/s
    python bench/lookup.py --store neo4j://127.0.0.1:7687 --rate 500

Builds (once, cached in bench/data/) a SQLite store from the generator, or uses --store as
is, starts `identity-graph serve` in a child process on a free loopback port, and sends an
open-loop load at --rate requests/s for --seconds: each request has a scheduled start, and
its latency counts from that schedule, so a slow server cannot hide queueing (no
coordinated omission). The load comes from a small Go program (bench/loadgen, standard
library only) so that the client is not what limits the rate. Lookups draw identifiers of
every type at random from those in the store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine, write_result


def build_store(people: int, seed: int) -> tuple[str, list[str]]:
    from identity_graph.config import Settings
    from identity_graph.devtools import synthetic
    from identity_graph.service.identity import IdentityService
    from identity_graph.stores.sqlite import SQLiteStore

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"lookup-p{people}-s{seed}.db"
    pop = synthetic.make_population(people=people, seed=seed)
    # events only: CRM and loyalty IDs are not in this store
    keys = [
        k
        for k, v in synthetic.truth(pop).items()
        if v != synthetic.HUB and not k.startswith(("crm_id:", "loyalty_id:"))
    ]
    if not path.exists():
        tmp = path.with_suffix(".building")
        for leftover in DATA.glob(tmp.name + "*"):
            leftover.unlink()
        store = SQLiteStore(f"sqlite:///{tmp}")
        service = IdentityService(store, Settings())
        batch: list[object] = []
        started = time.perf_counter()
        for n, event in enumerate(synthetic.iter_events(pop), start=1):
            batch.append(event)
            if len(batch) == 20_000:
                service.ingest_events(batch)
                batch = []
                print(
                    f"\r  built {n:,} events ({time.perf_counter() - started:.0f} s)",
                    end="",
                    file=sys.stderr,
                )
        if batch:
            service.ingest_events(batch)
        print(file=sys.stderr)
        store.close()
        for suffix in ("-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        tmp.rename(path)
    return f"sqlite:///{path}", keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("server did not become ready")


@contextmanager
def served(store_url: str, workers: int) -> Iterator[str]:
    """`identity-graph serve` on a free loopback port, for the block; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "identity_graph",
        "serve",
        "--store",
        store_url,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers are stopped with it
    )
    try:
        wait_ready(base, proc)
        yield base
    finally:
        # A saturated server drains its backlog before a graceful exit: give it a minute.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def loadgen() -> Path:
    """Build the Go load generator once (standard library only: no download)."""
    out = DATA / "loadgen"
    src = Path(__file__).resolve().parent / "loadgen"
    if not out.exists() or out.stat().st_mtime < (src / "main.go").stat().st_mtime:
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(out), "."], cwd=src, check=True)
    return out


def load(base: str, paths_file: Path, rate: float, seconds: float) -> dict[str, object]:
    done = subprocess.run(
        [
            str(loadgen()),
            "-base",
            base,
            "-paths",
            str(paths_file),
            "-rate",
            str(rate),
            "-seconds",
            str(seconds),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--people", type=int, default=170_000, help="170,000 people give >1M identifiers"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--store", default=None, help="use this store as it is (must hold the same people)"
    )
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2, help="server processes (2 cores here)")
    args = ap.parse_args()

    url, keys = build_store(args.people, args.seed)
    url = args.store or url
    rng = random.Random(args.seed)
    sample = rng.sample(keys, min(len(keys), 50_000))
    paths = []
    for key in sample:
        type_, _, value = key.partition(":")
        paths.append(f"/v1/identifiers/{type_}/{urllib.parse.quote(value, safe='')}/person")

    with served(url, args.workers) as base:
        from identity_graph.stores import open_store

        store = open_store(url)
        with store.reader() as r:
            identifiers = r.stats().identifiers
        store.close()
        paths_file = DATA / "lookup-paths.txt"
        paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
        load(base, paths_file, 200, 2)  # warm-up: connections, page cache
        result = load(base, paths_file, args.rate, args.seconds)
    result.update(
        {
            "benchmark": "lookup",
            "store": url.split(":", 1)[0],
            "identifiers": identifiers,
            "target_rps": args.rate,
            "workers": args.workers,
            "machine": machine(),
        }
    )
    write_result(f"lookup-{result['store']}", result)
    print(
        "| store | identifiers | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms"
        " | errors |"
    )
    print("|---|---|---|---|---|---|---|---|")
    errors = sum(n for code, n in result["statuses"].items() if code != "200")  # type: ignore[union-attr]
    print(
        f"| {result['store']} | {identifiers:,} | {args.rate:.0f} | {result['achieved_rps']} | "
        f"{result['p50_ms']} | {result['p90_ms']} | {result['p99_ms']} | {errors} |"
    )


if __name__ == "__main__":
    main()
