"""A bounded mixed load on loopback against a live `identity-graph serve`, per route:
requests, error rate, p50/p99 latency and throughput.

    python bench/load_run.py                                  # 600 s on SQLite, then Neo4j
    python bench/load_run.py --stores sqlite --seconds 60     # a short look
    python bench/load_run.py --stores neo4j --neo4j-uri bolt://127.0.0.1:7687  # it is reset!

For each store: preloads the first --preload events of the generator's stream (in-process,
batches of 10,000; Neo4j is the test harness of scripts/neo4j-test-server unless
--neo4j-uri), samples identifiers and their person IDs from it, starts `identity-graph
serve` on a free loopback port (--workers), and for --seconds sends at fixed rates, at
once:

- `POST /v1/batch`: the stream's next events, --batch-size a batch (more of the same
  people: new cookies, merges, activity);
- `GET /v1/identifiers/{type}/{value}/person` and `GET /v1/persons/{id}`: profiles of the
  sampled identifiers and persons;
- `GET /v1/segments/existing_customers/members?limit=100&cursor=...`: member pages,
  following the cursor and starting over at the end.

The load is open-loop: every request has a scheduled start and its latency counts from
there, so a slow server cannot hide a queue; at most --concurrency requests per route are
in flight (the rest wait, and their wait counts). An error is any answer but 2xx, or no
answer within 30 s. With API keys in the CLI (`identity-graph keys create`), the run
creates an admin key in the store first and sends it. Writes
bench/results/load_run-STORE.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import DATA, events_file, machine, write_result

from tests.live_server import REPO_ROOT, LiveServer, cli, repo_env


@dataclass
class Route:
    """One route of the mix: `next_request()` gives (method, path, json body or None)."""

    name: str
    rate: float
    next_request: Any
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: str, latency_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def preload(url: str, events: list[dict[str, Any]]) -> None:
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService
    from identity_graph.stores import open_store

    store = open_store(url, neo4j_auth=None, write_wait=600)
    service = IdentityService(store, Settings())
    started = time.perf_counter()
    for n in range(0, len(events), 10_000):
        service.ingest_events(events[n : n + 10_000])
        print(
            f"\r  preloaded {min(n + 10_000, len(events)):,} events "
            f"({time.perf_counter() - started:.0f} s)",
            end="",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    store.close()


def sample(url: str, count: int, seed: int) -> tuple[list[str], list[str]]:
    """Lookup paths by identifier and by person ID, drawn from the store."""
    from identity_graph.stores import open_store
    from identity_graph.stores.contract import assignments

    store = open_store(url)
    with store.reader() as r:
        rows = sorted(assignments(r))
    store.close()
    rng = random.Random(seed)
    drawn = rng.sample(rows, min(count, len(rows)))
    by_identifier = []
    for key, _ in drawn:
        type_, _, value = key.partition(":")
        by_identifier.append(f"/v1/identifiers/{type_}/{urllib.parse.quote(value, safe='')}/person")
    by_id = sorted({f"/v1/persons/{person}" for _, person in drawn})
    return by_identifier, by_id


def admin_key(url: str) -> str | None:
    """An admin key created with the CLI, if this release has API keys."""
    done = subprocess.run(
        cli("keys", "create", "--store", url, "--name", "load-run", "--role", "admin", "--json"),
        cwd=REPO_ROOT,
        env=repo_env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if "No such command" in done.stderr:
            return None
        raise SystemExit(f"keys create failed: {done.stderr[-2000:]}")
    key: str = json.loads(done.stdout)["key"]
    return key


def drive(
    base: str, routes: list[Route], seconds: float, headers: dict[str, str], cap: int
) -> None:
    """Each route's requests at their scheduled times, for `seconds`."""
    client = httpx.Client(
        base_url=base,
        timeout=30.0,
        headers=headers,
        limits=httpx.Limits(max_connections=cap * len(routes)),
    )
    start = time.perf_counter() + 0.2

    def one(route: Route, scheduled: float, method: str, path: str, body: Any) -> None:
        try:
            r = client.request(method, path, json=body)
            status = str(r.status_code)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        route.record(status, (time.perf_counter() - scheduled) * 1000)

    def schedule(route: Route, pool: ThreadPoolExecutor) -> None:
        interval = 1.0 / route.rate
        for i in range(int(seconds * route.rate)):
            scheduled = start + i * interval
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            method, path, body = route.next_request()
            pool.submit(one, route, scheduled, method, path, body)

    pools = [ThreadPoolExecutor(max_workers=cap) for _ in routes]
    schedulers = [
        threading.Thread(target=schedule, args=(route, pool))
        for route, pool in zip(routes, pools, strict=True)
    ]
    for t in schedulers:
        t.start()
    for t in schedulers:
        t.join()
    for pool in pools:
        pool.shutdown(wait=True)
    client.close()


def make_routes(
    load_events: list[dict[str, Any]],
    by_identifier: list[str],
    by_id: list[str],
    rates: dict[str, float],
    batch_size: int,
    seed: int,
) -> tuple[list[Route], dict[str, Any]]:
    """The routes of the mix, and the state that `follow_cursor` keeps up to date."""
    rng = random.Random(seed)
    lock = threading.Lock()
    state: dict[str, Any] = {"event": 0, "cursor": None}

    def batch() -> tuple[str, str, Any]:
        with lock:
            n = state["event"]
            state["event"] = (n + batch_size) % max(1, len(load_events))
        return "POST", "/v1/batch", {"batch": load_events[n : n + batch_size]}

    def identifier() -> tuple[str, str, Any]:
        return "GET", rng.choice(by_identifier), None

    def person() -> tuple[str, str, Any]:
        return "GET", rng.choice(by_id), None

    def members() -> tuple[str, str, Any]:
        # Pages follow the cursor of the page before (answers come back in order at this
        # rate; a missed one just repeats a page).
        with lock:
            cursor = state["cursor"]
        query = {"limit": "100", **({"cursor": cursor} if cursor else {})}
        return (
            "GET",
            f"/v1/segments/existing_customers/members?{urllib.parse.urlencode(query)}",
            None,
        )

    return [
        Route("POST /v1/batch", rates["batch"], batch),
        Route("GET /v1/identifiers/{type}/{value}/person", rates["identifier"], identifier),
        Route("GET /v1/persons/{person_id}", rates["person"], person),
        Route("GET /v1/segments/{name}/members", rates["members"], members),
    ], state


def summarize(routes: list[Route], seconds: float) -> list[dict[str, object]]:
    out = []
    for route in routes:
        total = sum(route.statuses.values())
        ok = sum(n for s, n in route.statuses.items() if s.startswith("2"))
        out.append(
            {
                "route": route.name,
                "target_per_s": route.rate,
                "requests": total,
                "statuses": dict(sorted(route.statuses.items())),
                "error_rate": round((total - ok) / total, 5) if total else None,
                "p50_ms": round(percentile(route.latencies_ms, 0.50), 1),
                "p99_ms": round(percentile(route.latencies_ms, 0.99), 1),
                "throughput_per_s": round(ok / seconds, 2),
            }
        )
    return out


def run_store(name: str, url: str, args: argparse.Namespace) -> dict[str, object]:
    stream_path = events_file(args.people, args.preload + args.load_events, args.seed)
    with stream_path.open("rb") as f:
        lines = [json.loads(line) for line in f]
    first, rest = lines[: args.preload], lines[args.preload :]
    print(f"{name}: preloading {len(first):,} events into {url}", file=sys.stderr)
    preload(url, first)
    by_identifier, by_id = sample(url, 20_000, args.seed)
    key = admin_key(url)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    routes, state = make_routes(
        rest,
        by_identifier,
        by_id,
        {
            "batch": args.batch_rate,
            "identifier": args.lookup_rate,
            "person": args.lookup_rate,
            "members": args.members_rate,
        },
        args.batch_size,
        args.seed,
    )
    before = machine()
    with LiveServer(url, workers=args.workers) as server:
        follow = threading.Thread(
            target=follow_cursor, args=(server.base, headers, state, args.seconds), daemon=True
        )
        follow.start()
        started = time.perf_counter()
        drive(server.base, routes, args.seconds, headers, args.concurrency)
        elapsed = time.perf_counter() - started
        server.terminate()
        server.wait(timeout=120)
    from identity_graph.stores import open_store

    store = open_store(url)
    with store.reader() as r:
        stats = r.stats().model_dump()
    store.close()
    return {
        "benchmark": "load_run",
        "store": name,
        "command": "python bench/load_run.py " + " ".join(sys.argv[1:]),
        "machine": before,
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "seconds": round(elapsed, 1),
        "workers": args.workers,
        "preloaded_events": len(first),
        "batch_size": args.batch_size,
        "auth": key is not None,
        "routes": summarize(routes, elapsed),
        "store_after": stats,
    }


def follow_cursor(
    base: str, headers: dict[str, str], state: dict[str, Any], seconds: float
) -> None:
    """Keep `state["cursor"]` on the next member page (outside the measured requests)."""
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=30.0, headers=headers) as client:
        while time.monotonic() < deadline:
            query = {"limit": "100", **({"cursor": state["cursor"]} if state["cursor"] else {})}
            try:
                r = client.get("/v1/segments/existing_customers/members", params=query)
                state["cursor"] = r.json().get("next_cursor") if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                state["cursor"] = None
            time.sleep(1.0)


def table(result: dict[str, Any]) -> str:
    rows = [
        f"| {r['route']} | {r['target_per_s']:g} | {r['requests']:,} | "
        f"{100 * (r['error_rate'] or 0):.2f}% | {r['p50_ms']} | {r['p99_ms']} | "
        f"{r['throughput_per_s']} | {', '.join(f'{k}: {v:,}' for k, v in r['statuses'].items())} |"
        for r in result["routes"]
    ]
    head = (
        "| route | target/s | requests | errors | p50 ms | p99 ms | answered 2xx/s | answers |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    return f"{result['store']}:\n{head}\n" + "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--stores", nargs="+", choices=["sqlite", "neo4j"], default=["sqlite", "neo4j"])
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--preload", type=int, default=50_000, help="events ingested before the load")
    ap.add_argument("--load-events", type=int, default=150_000, help="events for POST /v1/batch")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--batch-rate", type=float, default=2.0, help="batches per second")
    ap.add_argument("--lookup-rate", type=float, default=10.0, help="per lookup route, per second")
    ap.add_argument("--members-rate", type=float, default=1.0, help="member pages per second")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight per route")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--neo4j-uri", default=None, help="use this Neo4j (it is reset!)")
    args = ap.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    for name in args.stores:
        if name == "sqlite":
            path = DATA / "load-run.db"
            for leftover in DATA.glob("load-run.db*"):
                leftover.unlink()
            result = run_store(name, f"sqlite:///{path}", args)
        else:
            result = run_neo4j(args)
        out = write_result(f"load_run-{name}", result)
        print(table(result))
        print(f"wrote {out}", file=sys.stderr)


def run_neo4j(args: argparse.Namespace) -> dict[str, object]:
    from identity_graph.stores import open_store

    server = None
    try:
        if args.neo4j_uri:
            url = args.neo4j_uri
        else:
            from tests.neo4j_server import Neo4jTestServer

            server = Neo4jTestServer()
            url = server.start()
        store = open_store(url)
        store.reset()
        store.close()
        return run_store("neo4j", url, args)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
