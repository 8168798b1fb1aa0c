"""CPU time of one profile lookup through the whole app, in-process: what bounds the
requests/s of a worker, measured as process CPU time, which other work on a shared
machine disturbs far less than latency.

    python bench/lookup_cpu.py --store sqlite:///bench/data/lookup-p170000-s1.db \
        --before /tmp/before-tree

Calls the ASGI app of each source tree (the code before a change, from `git archive`,
then this one) in a child process, one request after another on one event loop, with
the API key, the middleware and the JSON request log (to /dev/null) as `serve` runs them;
then the same without the middleware, and the lookup alone (`IdentityService`), so the
shares add up. Lookups draw the identifiers `bench/lookup.py` wrote to
bench/data/lookup-paths.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging.config
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, machine, write_result

REPO = Path(__file__).resolve().parent.parent


async def _drive(app: Any, paths: list[str], key: str) -> tuple[float, dict[int, int]]:
    """CPU seconds per request over `paths`, and the statuses."""
    statuses: dict[int, int] = {}
    headers = [(b"authorization", f"Bearer {key}".encode()), (b"host", b"bench")]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1

    started = time.process_time()
    for path in paths:
        raw, _, _ = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": urllib.parse.unquote(raw),
            "raw_path": raw.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await app(scope, receive, send)
    return (time.process_time() - started) / len(paths), statuses


def child(store: str, key: str, n: int) -> dict[str, object]:
    from identity_graph.api.main import create_app
    from identity_graph.cli.runtime import build_service
    from identity_graph.logs import logging_config

    logging.config.dictConfig(logging_config("json", requests=True))
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (the request log's stream, all run)
    paths = (DATA / "lookup-paths.txt").read_text(encoding="utf-8").split()[:n]
    out: dict[str, object] = {}

    async def run() -> None:
        for name, middleware in (("app", True), ("app without middleware", False)):
            app = create_app(service_factory=lambda: build_service(store, None))
            if not middleware:
                app.user_middleware.clear()
            async with app.router.lifespan_context(app):
                await _drive(app, paths[: n // 10], key)  # warm-up: caches, key cache
                cpu, statuses = await _drive(app, paths, key)
                out[name] = {"cpu_ms": round(cpu * 1000, 3), "statuses": statuses}
                service = app.state.service
                if middleware:
                    started = time.process_time()
                    for path in paths:
                        _, _, type_, value, _ = path.strip("/").split("/")
                        service.person_by_identifier(type_, urllib.parse.unquote(value))
                    out["lookup alone"] = {
                        "cpu_ms": round((time.process_time() - started) / len(paths) * 1000, 3)
                    }

    asyncio.run(run())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--store", required=True)
    ap.add_argument("--before", type=Path, default=None, help="the source tree before a change")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--key", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.store, args.key, args.requests)))
        return
    from lookup import admin_key

    if args.store.startswith("sqlite:///") and not args.store.startswith("sqlite:////"):
        # The children run in each source tree: a path relative to here must not move.
        args.store = f"sqlite:///{Path(args.store.removeprefix('sqlite:///')).resolve()}"
    key = admin_key(args.store)
    trees = ([("before", args.before.resolve())] if args.before else []) + [("this", REPO)]
    runs: dict[str, object] = {}
    for code, tree in trees:
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                "--store",
                args.store,
                "--key",
                key,
                "--requests",
                str(args.requests),
            ],
            cwd=tree,
            env=dict(os.environ, PYTHONPATH=str(tree)),
            check=True,
            capture_output=True,
            text=True,
        )
        runs[code] = json.loads(done.stdout)
        print(f"  {code}: {runs[code]}", file=sys.stderr)
    write_result(
        "lookup-cpu",
        {"benchmark": "lookup-cpu", "store": args.store, "runs": runs, "machine": machine()},
    )
    print("| code | app ms CPU | app without middleware | lookup alone |")
    print("|---|---|---|---|")
    for code, r in runs.items():
        cells = [r[k]["cpu_ms"] for k in ("app", "app without middleware", "lookup alone")]  # type: ignore[index]
        print(f"| {code} | " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
