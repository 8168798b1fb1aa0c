"""Erase 10,000 persons on each store, then replay their events (all dropped).

    python bench/erase_run.py                                  # 10,000 persons, both stores
    python bench/erase_run.py --persons 2000 --stores sqlite
    python bench/erase_run.py --neo4j-uri bolt://127.0.0.1:7687  # a running server

The population: --persons persons to erase and --keep persons that stay, each one
`identify` (user ID, cookie, email, phone: four identifiers, six links) and one purchase
(activity), ingested in batches of `identity-graph ingest`'s default size on the store
(10,000 events on SQLite, 2,000 on Neo4j). Then:

1. erasure of the --persons persons by person ID, one `identity-graph erase` call
   (`service.erasure.erase`: chunks of 500 persons, one unit of work each, then the
   store's file purge): seconds and persons/s;
2. a replay of the erased persons' events (new message IDs): every one dropped
   (`erased_dropped`), seconds;
3. checks: no identifier of an erased person is left, the kept ones are whole, one
   tombstone per erased identifier.

Writes bench/results/erase_run.json (erase_run-STORE.json for one store), prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine, write_result
from large_person import stores  # the same stores: a temporary SQLite file, a Neo4j

from identity_graph.config import Settings
from identity_graph.ids import IdentifierKey
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import default_batch_size
from identity_graph.stores.contract import GraphStore


def person_events(i: int, tag: str) -> list[dict[str, Any]]:
    """Two events of person i: an identify with four identifiers, a purchase."""
    user = f"user-{i}"
    return [
        {
            "type": "identify",
            "messageId": f"{tag}-id-{i}",
            "userId": user,
            "anonymousId": f"cookie-{i}",
            "timestamp": "2026-11-01T10:00:00Z",
            "traits": {"email": f"person{i}@example.com", "phone": f"+1650{2_000_000 + i:07d}"},
        },
        {
            "type": "track",
            "messageId": f"{tag}-tr-{i}",
            "userId": user,
            "event": "Order Completed",
            "timestamp": "2026-11-01T10:05:00Z",
            "properties": {"products": [{"product_id": f"sku-{i % 97}", "price": 9.5}]},
        },
    ]


def ingest(service: IdentityService, people: range, tag: str) -> tuple[float, int]:
    """(seconds, events dropped as erased) for the events of `people`."""
    events = [e for i in people for e in person_events(i, tag)]
    dropped = 0
    batch = default_batch_size(service.store_url)  # as `identity-graph ingest` on the store
    start = time.perf_counter()
    for k in range(0, len(events), batch):
        dropped += service.ingest_events(events[k : k + batch]).erased_dropped
    return time.perf_counter() - start, dropped


def run(name: str, store: GraphStore, persons: int, keep: int) -> dict[str, Any]:
    service = IdentityService(store, Settings())
    ingest_s, _ = ingest(service, range(persons + keep), "first")
    with store.reader() as r:
        users = [IdentifierKey(f"customer_id:user-{i}") for i in range(persons + keep)]
        found = r.identifiers(users)
    ids = [str(found[users[i]].person_id) for i in range(persons)]
    assert len(set(ids)) == persons, "every generated person must be its own"
    start = time.perf_counter()
    report = service.erasure.erase(ids, by="bench", reason="bench/erase_run.py")
    erase_s = time.perf_counter() - start
    replay_s, dropped = ingest(service, range(persons), "replay")
    with store.reader() as r:
        emails = [IdentifierKey(f"email:person{i}@example.com") for i in range(persons + keep)]
        left = r.identifiers(emails)
        counts = r.row_counts()
    assert len(report.erased) == persons and report.not_found == []
    assert len(left) == keep, "erased persons' identifiers must be gone, kept ones stay"
    assert dropped == 2 * persons, "every replayed event carries an erased identifier"
    return {
        "store": name,
        "persons_erased": persons,
        "persons_kept": keep,
        "identifiers_erased": sum(e.identifiers for e in report.erased),
        "ingest_seconds": round(ingest_s, 2),
        "erase_seconds": round(erase_s, 2),
        "persons_per_second": round(persons / erase_s, 1),
        "files_purged": report.files_purged,
        "replay_events": 2 * persons,
        "replay_dropped": dropped,
        "replay_seconds": round(replay_s, 2),
        "tombstones": counts["tombstones"],
        "audit_rows": counts["audit"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--keep", type=int, default=1_000)
    parser.add_argument("--stores", default="sqlite,neo4j")
    parser.add_argument("--neo4j-uri", default=None, help="a running Neo4j (auth disabled)")
    args = parser.parse_args()
    info = machine()
    results = []
    with stores(args.stores.split(","), args.neo4j_uri) as opened:
        for name, store in opened:
            try:
                results.append(run(name, store, args.persons, args.keep))
            finally:
                store.close()
            print(results[-1], flush=True)
    names = args.stores.split(",")
    name = "erase_run" if len(names) > 1 else f"erase_run-{names[0]}"
    path = write_result(name, {"machine": info, "args": vars(args), "results": results})
    print(f"\n{info['date']}, load {info['load_average_1m']}, written to {path}\n")
    print(
        "| store | persons erased | identifiers | erase s | persons/s | replay dropped | replay s |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['store']} | {r['persons_erased']:,} | {r['identifiers_erased']:,} | "
            f"{r['erase_seconds']} | {r['persons_per_second']:,} | "
            f"{r['replay_dropped']:,} of {r['replay_events']:,} | {r['replay_seconds']} |"
        )


if __name__ == "__main__":
    main()
