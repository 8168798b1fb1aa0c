"""`identity-graph serve` as a child process on a free loopback port, for tests (and bench/)
that need a real server: SIGKILL, SIGTERM, several workers.

It runs this checkout's code (``python -m identity_graph`` with the repository root as
working directory and on PYTHONPATH), in its own process group so that its workers die
with it.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
_key_names = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def repo_env(**extra: str) -> dict[str, str]:
    """The environment of a child that must run this checkout's identity_graph."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), **extra)
    for name in ("IDENTITY_GRAPH_STORE", "IDENTITY_GRAPH_CONFIG"):
        env.pop(name, None)
    return env


def cli(*args: str) -> list[str]:
    """The command line of `identity-graph ARGS` on this checkout (run it with `cwd` =
    REPO_ROOT and `env` = repo_env())."""
    return [sys.executable, "-m", "identity_graph", *args]


def create_key(store_url: str, role: str) -> str:
    """A new API key of `role` in the store, made as an operator makes it
    (`identity-graph keys create --json`); the plaintext key."""
    name = f"{role}-{os.getpid()}-{next(_key_names)}"
    done = subprocess.run(
        cli("keys", "create", "--store", store_url, "--name", name, "--role", role, "--json"),
        cwd=REPO_ROOT,
        env=repo_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    key: str = json.loads(done.stdout)["key"]
    return key


class LiveServer:
    """`identity-graph serve --store URL` on a free port; `start()` returns when /healthz
    answers. `kill()` is SIGKILL (no shutdown at all), `terminate()` SIGTERM (graceful)."""

    def __init__(
        self, store_url: str, *, workers: int = 1, args: Sequence[str] = (), **env: str
    ) -> None:
        self.store_url = store_url
        self.workers = workers
        self.args = list(args)
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in __exit__)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> LiveServer:
        self.port = free_port()
        command = cli(
            "serve",
            "--store",
            self.store_url,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *self.args,
        )
        self.proc = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=repo_env(**self.env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError(f"server did not answer /healthz in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-6000:]

    def kill(self) -> None:
        """SIGKILL the server and its workers: nothing runs after it."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def terminate(self) -> None:
        """SIGTERM, as `docker stop` or systemd send it."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)

    def wait(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()
        self._log.close()


def post_until_accepted(
    client: httpx.Client, path: str, body: Any, *, attempts: int = 60, headers: Any = None
) -> httpx.Response:
    """POST as a well-behaved SDK does: on 503, wait the Retry-After it names and retry.
    Any other answer is returned (the caller asserts on it); a 503 without Retry-After
    fails."""
    for _ in range(attempts):
        r = client.post(path, json=body, headers=headers)
        if r.status_code != 503:
            return r
        retry_after = r.headers.get("Retry-After")
        assert retry_after is not None and retry_after.isdigit(), (r.status_code, r.text)
        time.sleep(min(float(retry_after), 2.0))
    raise AssertionError(f"still 503 after {attempts} attempts")
