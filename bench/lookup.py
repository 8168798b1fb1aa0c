"""Profile lookup by identifier over HTTP on loopback: requests/s and p50/p99 latency.

    python bench/lookup.py                             # >= 1,000,000 identifiers, SQLite
    python bench/lookup.py --before /tmp/before        # the code before, same run, first
    python bench/lookup.py --people 20000 --store bolt://127.0.0.1:7687

Builds (once, cached in bench/data/) a SQLite store from the generator; --store names
another one holding the same people (an empty Neo4j store first gets a copy of the SQLite
one, `identity-graph migrate`). Creates an admin API key, starts `identity-graph serve`
in a child process on a free loopback port (of the --before source tree too, e.g. from
`git archive main | tar -x -C /tmp/before`, on the same store), and sends an open-loop
load at each of --rates requests/s for --seconds: each request has a scheduled start, and
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

REPO = Path(__file__).resolve().parent.parent


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
def served(store_url: str, workers: int, tree: Path = REPO) -> Iterator[str]:
    """`identity-graph serve` of the source tree `tree` on a free loopback port, for the
    block; yields the base URL."""
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
        cwd=tree,
        # The tree's package, not the installed one (an editable install names another).
        env=dict(os.environ, PYTHONPATH=str(tree)),
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


def load(
    base: str, paths_file: Path, rate: float, seconds: float, header: str
) -> dict[str, object]:
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
            "-header",
            header,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def prepare(url: str, sqlite_url: str) -> int:
    """The store's identifiers; an empty Neo4j store first gets a copy of the SQLite one
    (`identity-graph migrate`)."""
    from identity_graph.stores import open_store

    store = open_store(url)
    try:
        with store.reader() as r:
            identifiers = r.stats().identifiers
    finally:
        store.close()
    if identifiers == 0 and url != sqlite_url:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "identity_graph", "migrate", "--from", sqlite_url, "--to", url],
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  copied into {url} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        return prepare(url, sqlite_url)
    return identifiers


def admin_key(url: str) -> str:
    """A new admin key for the run (every lookup is authenticated, as in production)."""
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService

    service = IdentityService.open(url, Settings())
    try:
        _, key = service.keys.create(f"bench-lookup-{os.getpid()}", "admin", by="bench")
    finally:
        service.close()
    return key


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--people", type=int, default=170_000, help="170,000 people give >1M identifiers"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--store",
        default=None,
        help="use this store (it must hold the same people); an empty Neo4j store gets a copy "
        "of the generated SQLite one",
    )
    ap.add_argument(
        "--rates", default="300,1000,2000", help="target requests/s, one load after the other"
    )
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2, help="server processes (2 cores here)")
    ap.add_argument(
        "--before",
        type=Path,
        default=None,
        help="also serve this source tree (the code before a change, e.g. from `git archive`) "
        "on the same store, first, in the same run",
    )
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    sqlite_url, keys = build_store(args.people, args.seed)
    url = args.store or sqlite_url
    identifiers = prepare(url, sqlite_url)
    rng = random.Random(args.seed)
    sample = rng.sample(keys, min(len(keys), 50_000))
    paths = []
    for key in sample:
        type_, _, value = key.partition(":")
        paths.append(f"/v1/identifiers/{type_}/{urllib.parse.quote(value, safe='')}/person")
    paths_file = DATA / "lookup-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    header = f"Authorization: Bearer {admin_key(url)}"

    trees = ([("before", args.before.resolve())] if args.before else []) + [("this", REPO)]
    runs: list[dict[str, object]] = []
    for code, tree in trees:
        with served(url, args.workers, tree) as base:
            load(base, paths_file, 200, 3, header)  # warm-up: connections, page cache
            for rate in rates:
                result = load(base, paths_file, rate, args.seconds, header)
                result.update(
                    {"code": code, "target_rps": rate, "load_average_1m": os.getloadavg()[0]}
                )
                runs.append(result)
                print(f"  {code} {rate:.0f} req/s: {json.dumps(result)}", file=sys.stderr)
    store = url.split(":", 1)[0]
    write_result(
        f"lookup-{store}",
        {
            "benchmark": "lookup",
            "store": store,
            "identifiers": identifiers,
            "workers": args.workers,
            "seconds": args.seconds,
            "runs": runs,
            "machine": machine(),
        },
    )
    print(
        "| store | code | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | errors"
        " | load 1m |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        statuses: dict[str, int] = run["statuses"]  # type: ignore[assignment]
        errors = sum(n for status, n in statuses.items() if status != "200")
        print(
            f"| {store} | {run['code']} | {run['target_rps']:.0f} | {run['achieved_rps']:.0f} | "
            f"{run['p50_ms']} | {run['p90_ms']} | {run['p99_ms']} | {errors} | "
            f"{run['load_average_1m']:.2f} |"
        )


if __name__ == "__main__":
    main()
