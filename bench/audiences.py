"""Segments and exports on a large store: count and first page, why, export rows/s and peak
memory, and a delta after 1% of persons changed.

    python bench/audiences.py                          # 1,000,000 persons, SQLite
    python bench/audiences.py --persons 100000 --neo4j neo4j://127.0.0.1:7687

The store is built once (cached in bench/data/) by bulk import of the generator's
population: each person's identifiers as the generator gives them (emails, phone, login,
cookies, devices, CRM and loyalty IDs), a CRM record with name and birth date, and
activity spread over their cookies and devices the way the event stream spreads it
(product views, campaign exposures, orders, cases), consent on one identifier. Ingesting
the ~10 events per person instead would take about 25 minutes at a million persons; what
the benchmark measures (segment queries, exports) reads the same shape of graph.
With --neo4j, the SQLite store is copied into that (empty) Neo4j with `migrate`.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine, write_result

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
PRODUCT = "SKU-10000"
CAMPAIGN = "CMP-202610-HALLOWEEN"
SEGMENT = {
    "and": [
        {"viewed": {"product": PRODUCT, "within_days": 30}},
        {"not": {"bought": {"product": PRODUCT}}},
        {"not": {"open_case": {}}},
        {"not": {"exposed": {"campaign": CAMPAIGN, "at_least": 2}}},
        {"consent": {"purpose": "ad_personalization"}},
    ]
}


def build_store(persons: int, seed: int) -> Path:
    from identity_graph.devtools import synthetic
    from identity_graph.devtools.synthetic.catalog import CAMPAIGNS, DAYS, PRODUCTS
    from identity_graph.ids import IdentifierKey, PersonId
    from identity_graph.stores.rows import (
        ActivityRow,
        ChangeSet,
        ConsentRow,
        NewIdentifierRow,
        Person,
        RecordRow,
    )
    from identity_graph.stores.sqlite import SQLiteStore

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"audiences-v2-p{persons}-s{seed}.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    for leftover in DATA.glob(tmp.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    pop = synthetic.make_population(people=persons, seed=seed)
    print(f"  population: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rng = random.Random(seed)
    day_index = {d: i for i, d in enumerate(DAYS)}

    def ago(days: int, least: int = 1) -> str:
        """A UTC day between `least` and `days` days before AS_OF."""
        return (AS_OF - timedelta(days=rng.randint(least, days))).strftime("%Y-%m-%d")

    def product() -> str:  # the event generator's popularity: index ~ r^2
        return PRODUCTS[int(rng.random() ** 2 * len(PRODUCTS))][0]

    def add(
        into: list[ActivityRow],
        owner: IdentifierKey,
        kind: str,
        target: str,
        day: str,
        count: int,
        first: str,
        last: str,
        amount: float = 0.0,
    ) -> None:
        target_type = {
            "VIEWED": "Product",
            "PURCHASED": "Product",
            "EXPOSED_TO": "Campaign",
            "OPENED_CASE": "Case",
        }[kind]
        into.append(
            ActivityRow(
                owner,
                kind,
                target_type,
                target,
                day,
                count,
                f"{day}T{first}:00.000Z",
                f"{day}T{last}:00.000Z",
                amount,
            )
        )

    store = SQLiteStore(f"sqlite:///{tmp}")
    at = "2026-11-01T00:00:00.000Z"
    batch = ChangeSet(at=at)
    for n, p in enumerate(pop.people, start=1):
        pid = PersonId(f"p{p.index:08d}-{seed}")
        batch.persons.append(Person(pid, at, at))
        idents: list[tuple[str, str]] = [("email", e) for e in p.emails]
        if p.phone:
            idents.append(("phone", p.phone))
        if p.customer_id:
            idents.append(("customer_id", p.customer_id))
        idents += [("cookie", c) for c in p.cookies]
        for d in p.devices:
            idents.append(("device_id", d.device_id.upper()))
            if d.advertising_id and d.advertising_id.strip("0-"):
                idents.append(("device_id", d.advertising_id.upper()))
        if p.crm_ids:
            idents.append(("crm_id", p.crm_ids[0]))
        if p.loyalty_id:
            idents.append(("loyalty_id", p.loyalty_id))
        keys = [IdentifierKey(f"{t}:{v}") for t, v in idents]
        for key, (type_, value) in zip(keys, idents, strict=True):
            batch.new_identifiers.append(NewIdentifierRow(key, type_, value, at, at, pid))
        # Activity hangs off the cookies and devices (and the login), as events spread it.
        owners = [k for k in keys if k.startswith(("cookie:", "device_id:", "customer_id:"))]
        owners = owners or keys[:1]

        for _ in range(rng.randint(0, 4)):
            day = ago(90)
            add(
                batch.activity,
                rng.choice(owners),
                "VIEWED",
                product(),
                day,
                rng.randint(1, 3),
                "10:00",
                "11:00",
            )
        # Exposures to the campaigns running on the day, as the event generator picks them.
        for _ in range(rng.randint(0, 3) if rng.random() < 0.5 else 0):
            day = ago(60)
            campaign = CAMPAIGNS[day_index[day]][rng.random() < 0.3]
            add(
                batch.activity, rng.choice(owners), "EXPOSED_TO", campaign, day, 1, "09:00", "09:00"
            )
        if rng.random() < 0.1:
            day = ago(200)
            add(
                batch.activity,
                rng.choice(owners),
                "PURCHASED",
                product(),
                day,
                1,
                "12:00",
                "12:00",
                99.0,
            )
        if rng.random() < 0.03:
            day = ago(100)
            add(
                batch.activity,
                rng.choice(owners),
                "OPENED_CASE",
                f"K{p.index}",
                day,
                1,
                "08:00",
                "08:00",
            )
        if rng.random() < 0.8:
            day = ago(300, least=0)
            batch.consent.append(
                ConsentRow(
                    rng.choice(keys),
                    "ad_personalization",
                    rng.random() < 0.75,
                    "segment:identify",
                    f"{day}T07:00:00.000Z",
                )
            )
        if p.crm_ids:
            attrs = {
                "given_name": p.given_name,
                "surname": p.surname,
                "birth_date": p.birth_date.isoformat(),
                "postcode": p.address.postcode,
                "country": "US",
            }
            batch.records.append(
                RecordRow(
                    "crm",
                    p.crm_ids[0],
                    IdentifierKey(f"crm_id:{p.crm_ids[0]}"),
                    json.dumps(attrs, sort_keys=True),
                    at,
                )
            )
        if n % 20_000 == 0 or n == len(pop.people):
            with store.unit_of_work() as tx:
                tx.apply(batch)
            batch = ChangeSet(at=at)
            print(
                f"\r  built {n:,} persons ({time.perf_counter() - started:.0f} s)",
                end="",
                file=sys.stderr,
            )
    print(file=sys.stderr)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    tmp.rename(path)
    return path


def timed(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    best = float("inf")
    value = None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def measure(store_url: str, persons: int, workdir: Path) -> dict[str, object]:
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService

    service = IdentityService.open(store_url, Settings())
    aud = service.audiences
    aud.save("bench-retarget", SEGMENT)
    count_s, count = timed(lambda: aud.count("bench-retarget", AS_OF).count)
    audience = aud.audience("bench-retarget", ["existing_customers"])
    aud.save("bench-audience", audience)
    excl_count_s, excl_count = timed(lambda: aud.count("bench-audience", AS_OF).count)
    page_s, _ = timed(lambda: aud.members("bench-audience", limit=1000, as_of=AS_OF))
    members = aud.members("bench-retarget", limit=1000, as_of=AS_OF).members
    sample = random.Random(1).sample(members, min(100, len(members)))
    why_ms = []
    for pid in sample:
        t = time.perf_counter()
        aud.why("bench-retarget", pid, AS_OF)
        why_ms.append((time.perf_counter() - t) * 1000)
    service.close()
    result: dict[str, object] = {
        "persons": persons,
        "segment_count": count,
        "count_s": round(count_s, 3),
        "with_exclusion_count": excl_count,
        "with_exclusion_count_s": round(excl_count_s, 3),
        "first_page_s": round(page_s, 3),
        "why_p50_ms": round(statistics.median(why_ms), 1) if why_ms else None,
        "why_p99_ms": round(sorted(why_ms)[int(len(why_ms) * 0.99) - 1], 1) if why_ms else None,
    }
    result.update(export_run(store_url, workdir))
    return result


def cli(store_url: str, *args: str) -> tuple[float, int, str]:
    """(seconds, peak RSS in KiB, stdout) of one command in a child process. The peak comes
    from GNU time where installed: the children's ru_maxrss can count pages of this
    (large) parent process."""
    command = [sys.executable, "-m", "identity_graph", *args, "--store", store_url]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if timer is not None:
        command = [timer, "-f", "%M", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if timer is not None:
        peak = int(proc.stderr.strip().splitlines()[-1])
    else:
        peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return seconds, peak, proc.stdout


def export_run(store_url: str, workdir: Path) -> dict[str, object]:
    out = workdir / "full.csv"
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService

    service = IdentityService.open(store_url, Settings())
    service.audiences.save("bench-everyone", {"has_identifier": {"type": "email"}})
    service.close()
    seconds, peak_kib, stdout = cli(
        store_url, "export", "bench-everyone", "--platform", "meta", "-o", str(out), "--json"
    )
    full = json.loads(stdout)
    # Delta: a baseline to a destination, then 1% of persons change, then the delta.
    cli(
        store_url,
        "destination",
        "create",
        "bench-meta",
        "--platform",
        "meta",
        "--segment",
        "bench-everyone",
    )
    base_s, _, _ = cli(
        store_url,
        "export",
        "bench-everyone",
        "--platform",
        "meta",
        "-o",
        str(workdir / "base.csv"),
        "--destination",
        "bench-meta",
        "--json",
    )
    changed = change_one_percent(store_url)
    delta_s, delta_peak, stdout = cli(
        store_url,
        "export",
        "bench-everyone",
        "--platform",
        "meta",
        "-o",
        str(workdir / "delta.csv"),
        "--destination",
        "bench-meta",
        "--delta",
        "--json",
    )
    delta = json.loads(stdout)
    return {
        "export_rows": full["rows"],
        "export_persons": full["persons"],
        "export_s": round(seconds, 2),
        "export_rows_per_s": round(full["rows"] / seconds),
        "export_peak_rss_mib": round(peak_kib / 1024),
        "baseline_to_destination_s": round(base_s, 2),
        "delta_changed_persons": changed,
        "delta_added": delta["rows"],
        "delta_removed": delta["removed"],
        "delta_s": round(delta_s, 2),
        "delta_peak_rss_mib": round(delta_peak / 1024),
    }


def change_one_percent(store_url: str) -> int:
    """1% of persons with an email: half get a new email, half withdraw consent."""
    from identity_graph.config import Settings
    from identity_graph.service.identity import IdentityService

    service = IdentityService.open(store_url, Settings())
    ids = list(service.audiences.iter_members("bench-everyone"))
    rng = random.Random(7)
    picked = rng.sample(ids, len(ids) // 100)
    events = []
    with service.store.reader() as r:
        members = r.members(picked)
    for n, pid in enumerate(picked):
        email = next(i.value for i in members[pid] if i.type == "email")
        ev: dict[str, object] = {
            "type": "identify",
            "messageId": f"bench-change-{n}",
            "timestamp": "2026-11-02T10:00:00Z",
            "anonymousId": f"bench-cookie-{n}",
            "traits": {"email": email},
        }
        if n % 2:
            ev["context"] = {"consent": {"categoryPreferences": {"Advertising": False}}}
        else:
            ev["context"] = {"externalIds": [{"id": f"new{n}@example.net", "type": "email"}]}
        events.append(ev)
    for i in range(0, len(events), 5000):
        service.ingest_events(events[i : i + 5000])
    service.close()
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--neo4j", help="also run on this (empty) Neo4j, copied from SQLite")
    args = parser.parse_args()
    path = build_store(args.persons, args.seed)
    results: dict[str, object] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "bench.db"
        work.write_bytes(path.read_bytes())  # the measured copy changes (segments, deltas)
        results["sqlite"] = measure(f"sqlite:///{work}", args.persons, Path(tmp))
        if args.neo4j:
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "identity_graph",
                    "migrate",
                    "--from",
                    f"sqlite:///{path}",
                    "--to",
                    args.neo4j,
                ],
                check=True,
                capture_output=True,
            )
            results["neo4j_copy_s"] = round(time.perf_counter() - t, 1)
            results["neo4j"] = measure(args.neo4j, args.persons, Path(tmp))
    print(json.dumps(results, indent=2))
    write_result(f"audiences-p{args.persons}", results)


if __name__ == "__main__":
    main()
