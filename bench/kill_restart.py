"""Kill and restart: SIGKILL a live server in the middle of a stream of ingest batches, or a
CLI ingest in the middle of a file, and count what was sent, acknowledged and present.

    python bench/kill_restart.py                         # 5 rounds each, SQLite and Neo4j
    python bench/kill_restart.py --stores sqlite --rounds 2

Server rounds: `identity-graph serve` on a fresh store, three clients posting batches of
--batch-size events (each batch: one customer of its own, an identify and product views),
SIGKILL once a random number of batches (20-80) was answered 2xx, then what the store holds:
a batch is present when all its messages, identifiers (in one person) and activity are,
half when only part of it is; lost = acknowledged but not present. Then the server starts
again, every batch not acknowledged is sent again (and 10 that were), and the store must
hold every batch exactly once. CLI rounds: the same batches as one JSONL file, `identity-
graph ingest --batch-size N`, SIGKILL after a random number of `committed lines A-B`
lines (acknowledged = the batches those lines name), then the command is run again to the
end. Neo4j is the test harness of scripts/neo4j-test-server unless --neo4j-uri. Writes
bench/results/kill_restart.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine, write_result

from tests.ingest_checks import Batch
from tests.kill_runs import (
    counts,
    ingest_to_the_end,
    kill_ingest_mid_file,
    kill_server_mid_stream,
    replay,
    states,
    write_events,
)
from tests.live_server import create_key


def tally(after: dict[int, str], acked: set[int]) -> dict[str, int]:
    present = {n for n, s in after.items() if s == "all"}
    half = sum(1 for s in after.values() if s not in ("all", "none"))
    return {"present": len(present), "half": half, "lost": len(acked - present)}


def server_round(url: str, batches: list[Batch], kill_after: int) -> dict[str, int]:
    sent = kill_server_mid_stream(url, batches, kill_after)
    row = {"sent": len(sent.sent), "acknowledged": len(sent.acked), "busy_503": sent.busy}
    row.update(tally(states(url, batches), sent.acked))
    again = [b for b in batches if b.n not in sent.acked]
    replay(url, again + [b for b in batches if b.n in sent.acked][:10], create_key(url, "ingest"))
    final = tally(states(url, batches), {b.n for b in batches})
    messages = counts(url)["messages"]
    row.update(
        replayed=len(again) + min(10, len(sent.acked)),
        present_after_restart=final["present"],
        lost_after_restart=final["lost"],
        messages_stored=messages,
        messages_sent=sum(b.size for b in batches),
    )
    return row


def cli_round(url: str, batches: list[Batch], size: int, kill_after: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        write_events(path, batches)
        acked_lines = kill_ingest_mid_file(url, path, size, kill_after)
        acked = set(range(acked_lines // size))
        row = {"sent": len(batches), "acknowledged": len(acked)}
        row.update(tally(states(url, batches), acked))
        ingest_to_the_end(url, path, size)
    final = tally(states(url, batches), {b.n for b in batches})
    row.update(
        present_after_restart=final["present"],
        lost_after_restart=final["lost"],
        messages_stored=counts(url)["messages"],
        messages_sent=sum(b.size for b in batches),
    )
    return row


def fresh(name: str, neo4j_url: str | None, directory: Path, n: int) -> str:
    if name == "sqlite":
        return f"sqlite:///{directory / f'kill-{n}.db'}"
    from identity_graph.stores import open_store

    assert neo4j_url is not None
    store = open_store(neo4j_url)
    store.reset()
    store.close()
    return neo4j_url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--stores", nargs="+", choices=["sqlite", "neo4j"], default=["sqlite", "neo4j"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batches", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=40)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--neo4j-uri", default=None, help="use this Neo4j (it is reset!)")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    result: dict[str, object] = {
        "benchmark": "kill_restart",
        "command": "python bench/kill_restart.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "batch_size": args.batch_size,
        "batches_per_round": args.batches,
    }
    rows: list[dict[str, object]] = []
    server = None
    neo4j_url = args.neo4j_uri
    try:
        if "neo4j" in args.stores and neo4j_url is None:
            from tests.neo4j_server import Neo4jTestServer

            server = Neo4jTestServer()
            neo4j_url = server.start()
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.stores:
                for what in ("server", "cli"):
                    for r in range(args.rounds):
                        url = fresh(name, neo4j_url, Path(tmp), len(rows))
                        batches = [
                            Batch(f"{what}{r}", n, args.batch_size) for n in range(args.batches)
                        ]
                        kill_after = rng.randint(20, 80)
                        if what == "server":
                            row = server_round(url, batches, kill_after)
                        else:
                            row = cli_round(url, batches, args.batch_size, kill_after)
                        rows.append({"store": name, "killed": what, "round": r, **row})
                        print(rows[-1], file=sys.stderr)
    finally:
        if server is not None:
            server.stop()
    result["rounds"] = rows
    result["totals"] = totals(rows)
    result["load_average_1m_at_end"] = machine()["load_average_1m"]
    out = write_result("kill_restart", result)
    print(table(result["totals"]))
    print(f"wrote {out}", file=sys.stderr)


def totals(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    keys = ("sent", "acknowledged", "present", "half", "lost", "lost_after_restart")
    out: dict[tuple[str, str], dict[str, object]] = {}
    for row in rows:
        group = out.setdefault(
            (str(row["store"]), str(row["killed"])),
            {"store": row["store"], "killed": row["killed"], "kills": 0, **dict.fromkeys(keys, 0)},
        )
        group["kills"] = int(str(group["kills"])) + 1
        for k in keys:
            group[k] = int(str(group[k])) + int(str(row[k]))
    return list(out.values())


def table(groups: object) -> str:
    assert isinstance(groups, list)
    head = (
        "| store | killed | kills | batches sent | acknowledged | present after kill | "
        "half-applied | lost | lost after restart + replay |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {g['store']} | {g['killed']} | {g['kills']} | {g['sent']:,} | {g['acknowledged']:,} "
        f"| {g['present']:,} | {g['half']} | {g['lost']} | {g['lost_after_restart']} |"
        for g in groups
    ]
    return head + "\n" + "\n".join(rows)


if __name__ == "__main__":
    main()
