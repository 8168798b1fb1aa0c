"""One very large person on each store: `explain`, the profile, and a hub split.

    python bench/large_person.py                        # 10,000 identifiers, SQLite and Neo4j
    python bench/large_person.py --identifiers 20000 --stores sqlite
    python bench/large_person.py --neo4j-uri bolt://127.0.0.1:7687   # a running server

The person: one email seen with N-1 cookies (one `identify` event each, batches of 10,000),
so N identifiers joined by N-1 deterministic links (a star, the shape a bot or a shared
login gives). Two small established persons (email + phone) stand beside it. Then:

1. `explain` between two cookies of the person (the path runs through the email): the
   person's links are read and a shortest path found; --repeat times, median and max.
2. The profile of the person (`GET /v1/persons/{id}` without HTTP): --repeat times.
3. A hub split: a cookie H is seen with the big person's email, then with the second
   person's email (H joins the two: a merge), then with the third person's email — now H
   would join three established persons (hub limit 2), so it is flagged a hub and the merged
   person is re-clustered without H's links, inside the same write transaction: the time of
   that one batch (three pieces: the big person keeps its ID), which holds the store's
   write lock from start to end.
   The same scenario runs first on a person of 10 identifiers: on a fresh Neo4j it pays
   for planning each query and a cold JIT, which a long-running server has paid already.
   It is reported apart ("cold split of 10").

Aims (issue 8): explain < 200 ms and a split < 1 s at 10,000 identifiers, on both stores.
Writes bench/results/large_person.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine, write_result

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore

BATCH = 10_000


def identify(message_id: str, anonymous_id: str, email: str, phone: str | None = None) -> dict:
    traits: dict[str, str] = {"email": email}
    if phone is not None:
        traits["phone"] = phone
    return {
        "type": "identify",
        "messageId": message_id,
        "anonymousId": anonymous_id,
        "timestamp": "2026-11-01T10:00:00Z",
        "traits": traits,
    }


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "runs": repeat,
    }


def hub_split(service: IdentityService, email: str, tag: str, size: int) -> float:
    """Seconds of the batch that flags a hub on `email`'s person and splits it."""
    person = service.person_by_identifier("email", email)
    second, third = f"second-{tag}@example.com", f"third-{tag}@example.com"
    service.ingest_events([identify(f"h1-{tag}", f"hub-{tag}", email)])
    service.ingest_events([identify(f"h2-{tag}", f"hub-{tag}", second)])
    merged = service.person_by_identifier("email", second)
    assert merged.person_id == person.person_id, "the second person should have merged"
    start = time.perf_counter()
    summary = service.ingest_events([identify(f"h3-{tag}", f"hub-{tag}", third)])
    seconds = time.perf_counter() - start
    # Three pieces: the person keeps its ID; the second person and the hub (which no
    # longer stitches to anything) get new IDs.
    assert summary.hubs_flagged == 1 and summary.splits == 2, summary
    after = service.person_by_identifier("email", email)
    assert after.person_id == person.person_id and len(after.identifiers) == size
    return seconds


def side_persons(service: IdentityService, tag: str) -> None:
    """The two small established persons (email + phone) the hub will join."""
    service.ingest_events(
        [
            identify(f"s2-{tag}", f"side-2-{tag}", f"second-{tag}@example.com", "+14155550102"),
            identify(f"s3-{tag}", f"side-3-{tag}", f"third-{tag}@example.com", "+14155550103"),
        ]
    )


def run(store: GraphStore, identifiers: int, repeat: int) -> dict[str, object]:
    service = IdentityService(store, Settings())
    # The same split on a person of 10 first: a fresh server plans each query once and its
    # JIT is cold, a long-running one has done both. Reported apart, as the cold split.
    service.ingest_events([identify(f"w{i}", f"warm-{i}", "warm@example.com") for i in range(9)])
    side_persons(service, "warm")
    cold_s = hub_split(service, "warm@example.com", "warm", 10)
    big = "big@example.com"
    cookies = identifiers - 1
    start = time.perf_counter()
    for first in range(0, cookies, BATCH):
        service.ingest_events(
            [
                identify(f"c{i}", f"cookie-{i}", big)
                for i in range(first, min(cookies, first + BATCH))
            ]
        )
    side_persons(service, "big")
    build_s = time.perf_counter() - start
    person = service.person_by_identifier("email", big)
    assert len(person.identifiers) == identifiers, len(person.identifiers)

    a, b = "cookie:cookie-0", f"cookie:cookie-{cookies - 1}"
    explanation = service.explain(a, b)
    assert explanation.same_person and len(explanation.path) == 2, explanation
    explain = timed(lambda: service.explain(a, b), repeat)
    profile = timed(lambda: service.person(person.person_id), repeat)

    split_s = hub_split(service, big, "big", identifiers)
    return {
        "identifiers": identifiers,
        "build_seconds": round(build_s, 1),
        "explain": explain,
        "profile": profile,
        "hub_split_batch_ms": round(split_s * 1000, 1),
        "cold_split_of_10_ms": round(cold_s * 1000, 1),
    }


@contextmanager
def stores(names: list[str], neo4j_uri: str | None) -> Iterator[Iterator[tuple[str, GraphStore]]]:
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        try:

            def opened() -> Iterator[tuple[str, GraphStore]]:
                nonlocal server
                for name in names:
                    if name == "sqlite":
                        from identity_graph.stores.sqlite import SQLiteStore

                        yield name, SQLiteStore(f"sqlite:///{Path(tmp) / 'large.db'}")
                    elif name == "neo4j":
                        from identity_graph.stores.neo4j import Neo4jStore

                        uri = neo4j_uri
                        if uri is None:
                            from tests.neo4j_server import Neo4jTestServer

                            server = Neo4jTestServer()
                            uri = server.start()
                        store = Neo4jStore(uri)
                        store.reset()
                        yield name, store
                    else:
                        raise SystemExit(f"unknown store {name!r}: sqlite or neo4j")

            yield opened()
        finally:
            if server is not None:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--identifiers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--stores", default="sqlite,neo4j")
    parser.add_argument("--neo4j-uri", default=None, help="a running Neo4j (auth disabled)")
    args = parser.parse_args()
    info = machine()
    results: dict[str, object] = {}
    with stores(args.stores.split(","), args.neo4j_uri) as opened:
        for name, store in opened:
            try:
                results[name] = run(store, args.identifiers, args.repeat)
            finally:
                store.close()
            print(name, results[name], flush=True)
    path = write_result("large_person", {"machine": info, "args": vars(args), "results": results})
    print(f"\nwritten {path}\n")
    columns = ["store", "identifiers", "explain median ms (max)", "profile median ms (max)"]
    print("| " + " | ".join([*columns, "hub split batch ms", "cold split of 10 ms"]) + " |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        assert isinstance(r, dict)
        e, p = r["explain"], r["profile"]
        print(
            f"| {name} | {r['identifiers']:,} | {e['median_ms']} ({e['max_ms']}) | "
            f"{p['median_ms']} ({p['max_ms']}) | {r['hub_split_batch_ms']} | "
            f"{r['cold_split_of_10_ms']} |"
        )


if __name__ == "__main__":
    main()
