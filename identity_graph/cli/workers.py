"""`python -m identity_graph.cli.workers [--log-format F] [--[no-]access-log] -- UVICORN-ARGS`:
uvicorn's command line with several workers, which `identity-graph serve --workers N`
replaces itself with.

Before uvicorn starts, it creates a temporary directory that outlives every worker: the
Prometheus samples of all workers go there (`PROMETHEUS_MULTIPROC_DIR`, so that a scrape
of `/metrics`, answered by any one worker, adds them all up) with the logging setup each
worker loads (`--log-config`). uvicorn's supervisor runs in this process, so signals reach
it as before; the directory is removed when it returns (a SIGKILL leaves it in the
system's temporary directory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import get_args

from identity_graph.api.observability import MULTIPROC_ENV
from identity_graph.logs import LogFormat, logging_config


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m identity_graph.cli.workers")
    parser.add_argument("--log-format", choices=get_args(LogFormat), default="json")
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("uvicorn_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    uvicorn_args = [a for i, a in enumerate(args.uvicorn_args) if i or a != "--"]
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="identity-graph-") as tmp:
        metrics = Path(tmp, "metrics")
        metrics.mkdir()
        # Read by prometheus_client when a worker imports it: set before they start.
        os.environ[MULTIPROC_ENV] = str(metrics)
        log_config = Path(tmp, "logging.json")
        config = logging_config(args.log_format, requests=args.access_log)
        log_config.write_text(json.dumps(config), encoding="utf-8")
        # Exits (SystemExit) when uvicorn stops, through the cleanup of `tmp`.
        uvicorn.main.main([*uvicorn_args, "--log-config", str(log_config)], "uvicorn")


if __name__ == "__main__":
    main(sys.argv[1:])
