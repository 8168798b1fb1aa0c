"""`identity-graph serve` as a subprocess running this checkout's code, its stderr (the
logs) in a file: for the tests that read what the server logs (`tests/live_server.py` is
the one that kills and restarts servers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.live_server import REPO_ROOT, free_port

ROOT = REPO_ROOT
# A worker starts in a few seconds on an idle machine; the suite shares two cores.
STARTUP_SECONDS = 180.0


@dataclass
class LiveServer:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m identity_graph ARGS` on this checkout."""
    return subprocess.run(
        [sys.executable, "-m", "identity_graph", *args],
        cwd=ROOT,
        env=dict(env or os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def live_server(
    store_url: str, tmp_path: Path, args: Sequence[str] = (), env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """Serve `store_url` on a free port until the block ends (SIGTERM, then wait)."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    environment = dict(env or os.environ, PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "identity_graph", "serve", "--store", store_url]
    with log.open("wb") as err:
        process = subprocess.Popen(
            [*argv, "--port", str(port), *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not start: {log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
