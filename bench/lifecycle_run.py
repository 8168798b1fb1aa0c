"""The graph's lifecycle at scale, on each store: a steward splits a person of 10,000
identifiers; a source of 100,000 records is removed.

    python bench/lifecycle_run.py                          # SQLite and Neo4j (harness)
    python bench/lifecycle_run.py --stores sqlite --records 20000
    python bench/lifecycle_run.py --neo4j-uri bolt://127.0.0.1:7687   # a running server

1. Split: one person of N identifiers, two stars joined by one link: a customer ID seen
   with N/2 - 1 cookies, an email seen with the rest, and one event with the customer ID
   and the email (`identify` events, batches of 10,000). The steward splits it into the
   two stars, naming every identifier of each (N keys in the request): the time of the
   split (one unit of work: validation, the links between groups made cannot-links, the
   re-clustering of N identifiers, the audit row).
2. Remove a source: R CRM records (crm_id, email, first name; one ingest run, so one
   batch ID), of which a tenth share their email with a web login (events: cookie +
   customer ID + email), then `remove source crm`: its links, records and the identifiers
   it alone created go in chunks of 2,000 provenance rows per unit of work, each person it
   touched is re-clustered; the logged-in persons keep their web identifiers. Reported:
   seconds, chunks, and the process's peak RSS before and after (bounded memory: the
   removal reads one chunk at a time).

Writes bench/results/lifecycle_run.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine, write_result
from large_person import stores

from identity_graph.config import Settings
from identity_graph.ingest.records import RecordMapping
from identity_graph.lifecycle import remove
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import default_batch_size
from identity_graph.stores.contract import GraphStore

BATCH = 10_000
STEWARD = "bench"


def rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def identify(mid: str, **fields: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": "identify", "messageId": mid, "timestamp": "2026-11-01T10:00:00Z"}
    if "email" in fields:
        ev["traits"] = {"email": fields.pop("email")}
    ev.update(fields)
    return ev


def ingest(service: IdentityService, events: list[dict[str, Any]]) -> None:
    for i in range(0, len(events), BATCH):
        service.ingest_events(events[i : i + BATCH])


def set_batch(size: int) -> None:
    global BATCH
    BATCH = size


def split_run(store: GraphStore, identifiers: int) -> dict[str, object]:
    store.reset()
    service = IdentityService(store, Settings())
    half = identifiers // 2
    events = [identify(f"a{i}", userId="boss", anonymousId=f"ca{i}") for i in range(half - 1)]
    events += [
        identify(f"b{i}", anonymousId=f"cb{i}", email="shared@example.com")
        for i in range(identifiers - half - 1)
    ]
    events.append(identify("join", userId="boss", email="shared@example.com"))
    start = time.perf_counter()
    ingest(service, events)
    ingest_s = time.perf_counter() - start
    pid = service.person_by_identifier("customer_id", "boss").person_id
    members = [i.key for i in service.person(pid).identifiers]
    assert len(members) == identifiers, len(members)
    groups = [
        [k for k in members if k == "customer_id:boss" or k.startswith("cookie:ca")],
        [k for k in members if k == "email:shared@example.com" or k.startswith("cookie:cb")],
    ]
    start = time.perf_counter()
    result = service.lifecycle.split(pid, groups, STEWARD, "two people behind one login")
    split_s = time.perf_counter() - start
    assert result.cannot_links == 1 and len(result.persons.created) == 1, result
    return {
        "identifiers": identifiers,
        "ingest_s": round(ingest_s, 1),
        "split_s": round(split_s, 2),
        "cannot_links": result.cannot_links,
    }


CRM = RecordMapping(
    source="crm",
    id_column="crm_id",
    id_type="crm_id",
    identifiers={"email": "email"},
    attributes={"first_name": "given_name"},
)


def source_run(store: GraphStore, records: int) -> dict[str, object]:
    store.reset()
    service = IdentityService(store, Settings())
    logins = [
        identify(f"w{i}", userId=f"u{i}", anonymousId=f"c{i}", email=f"p{i}@example.com")
        for i in range(0, records, 10)
    ]
    ingest(service, logins)
    rows = (
        (n + 1, {"crm_id": f"C{n}", "email": f"p{n}@example.com", "first_name": "Anna"}, 0)
        for n in range(records)
    )
    start = time.perf_counter()
    report = service.ingest_stream(rows, service.record_parser(CRM), batch_size=BATCH)
    ingest_s = time.perf_counter() - start
    before = service.stats()
    rss_before = rss_mib()
    chunks = {"n": 0}
    real = remove._subtract

    def counted(*args: Any, **kwargs: Any) -> None:
        chunks["n"] += 1
        real(*args, **kwargs)

    remove._subtract = counted  # type: ignore[assignment]
    start = time.perf_counter()
    try:
        result = service.lifecycle.remove(source="crm", by=STEWARD, reason="bad CRM import")
    finally:
        remove._subtract = real  # type: ignore[assignment]
    remove_s = time.perf_counter() - start
    after = service.stats()
    r = result.removed
    assert r.records_deleted == records and after.records == 0, (r, after)
    assert after.identifiers == before.identifiers - records - (records - len(logins))
    return {
        "records": records,
        "batch_id": report.summary.batch_id,
        "ingest_s": round(ingest_s, 1),
        "remove_s": round(remove_s, 1),
        "records_per_s": round(records / remove_s),
        "links_deleted": r.links_deleted,
        "identifiers_deleted": r.identifiers_deleted,
        "provenance_rows": r.provenance_removed,
        "evidence_chunks": chunks["n"],
        "persons_kept": len(result.persons.kept) + result.persons.truncated,
        "peak_rss_before_mib": rss_before,
        "peak_rss_after_mib": rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--identifiers", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,neo4j")
    parser.add_argument("--neo4j-uri", default=None, help="a running Neo4j (auth disabled)")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="events or records per ingest transaction (default: what `identity-graph ingest` "
        "uses on the store: 10,000 on SQLite, 2,000 on Neo4j)",
    )
    args = parser.parse_args()
    info = machine()
    results: dict[str, dict[str, object]] = {}
    with stores(args.stores.split(","), args.neo4j_uri) as opened:
        for name, store in opened:
            set_batch(args.batch or default_batch_size(store.url))
            try:
                results[name] = {"split": split_run(store, args.identifiers)}
                print(name, results[name], flush=True)  # a long run shows its parts
                results[name]["remove_source"] = source_run(store, args.records)
            finally:
                store.close()
            print(name, results[name], flush=True)
    name = "lifecycle_run" if args.stores == "sqlite,neo4j" else f"lifecycle_run-{args.stores}"
    path = write_result(name, {"machine": info, "args": vars(args), "results": results})
    print(f"\nwritten {path}\n")
    print(
        "| store | split: identifiers | split s | remove: records | remove s | records/s "
        "| provenance rows | peak RSS MiB before / after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        s, m = r["split"], r["remove_source"]
        print(
            f"| {name} | {s['identifiers']:,} | {s['split_s']} | {m['records']:,} | "
            f"{m['remove_s']} | {m['records_per_s']:,} | {m['provenance_rows']:,} | "
            f"{m['peak_rss_before_mib']} / {m['peak_rss_after_mib']} |"
        )


if __name__ == "__main__":
    main()
