"""A real, throw-away Neo4j for the test-suite, started by ``scripts/neo4j-test-server``.

``scripts/neo4j-test-server`` resolves Neo4j 5.26 (community, via ``neo4j-harness``) from
Maven Central into a cache, starts it in one JVM on free ports of 127.0.0.1 with auth
disabled, and prints ``http://127.0.0.1:PORT`` then ``bolt://127.0.0.1:PORT`` on stdout once
Bolt answers. It stops on SIGTERM or when its stdin is closed, so it dies with this process.

Use in a conftest::

    from tests.neo4j_server import neo4j_uri  # noqa: F401  (session fixture)

The harness serves Neo4j Browser 5.24 at the ``http://`` address (fixture
``neo4j_http_uri``), with ``127.0.0.1`` on its allowlist of hosts it fetches guides and
styles from (``BROWSER_ALLOWLIST``), so ``:play`` works with the address
``identity-graph serve`` prints.

If ``NEO4J_URI`` is set, the fixture yields it and starts nothing (credentials in
``NEO4J_USER``/``NEO4J_PASSWORD`` are the caller's business, see :func:`auth_from_env`).
If Neo4j cannot start, the fixture fails the tests (it never skips them); deselect with
``-m "not neo4j"`` on a machine without Java. ``NEO4J_START_TIMEOUT`` (seconds, default
300) bounds the wait, first download included.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = REPO_ROOT / "scripts" / "neo4j-test-server"

#: A first run downloads ~135 MB of jars with Maven (~1 min; retried up to 3 times with
#: 15 s/45 s back-off) before the JVM starts; a warm start takes 5-7 s. Override with the
#: NEO4J_START_TIMEOUT environment variable (seconds).
DEFAULT_START_TIMEOUT = 300.0
#: Hosts Neo4j Browser may fetch guides (`:play URL`) and styles (`:style URL`) from: the
#: default (`guides.neo4j.com,localhost`) plus the address `identity-graph serve` prints.
BROWSER_ALLOWLIST = "guides.neo4j.com,localhost,127.0.0.1"
#: The Neo4j 5.26 setting that holds it (Browser reads it through dbms.clientConfig()).
BROWSER_ALLOWLIST_SETTING = "browser.remote_content_hostname_whitelist"
_TAIL_LINES = 60


class Neo4jTestServer:
    """Runs ``scripts/neo4j-test-server`` as a child process.

    ``start()`` returns the Bolt URI once the server is ready; ``stop()`` shuts it down.
    Also a context manager: ``with Neo4jTestServer() as server: uri = server.bolt_uri``.
    """

    def __init__(
        self,
        command: Sequence[str] | None = None,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self._command = list(command) if command is not None else [str(SERVER_SCRIPT)]
        self._command += list(extra_args)
        self._env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_file: IO[bytes] | None = None
        self._stdout_lines: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self.bolt_uri: str | None = None
        self.http_uri: str | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = DEFAULT_START_TIMEOUT) -> str:
        """Start the server and return its ``bolt://`` URI.

        Raises ``RuntimeError`` (with the tail of the server's output) if it exits, cannot
        be run, or is not ready within ``timeout`` seconds; the process is stopped then.
        """
        if self._proc is not None:
            raise RuntimeError("Neo4jTestServer already started")
        self._stdout_lines.clear()
        self._ready.clear()
        self.bolt_uri = self.http_uri = None
        # Closed by stop(); stderr goes to a file so that a chatty server never blocks.
        self._stderr_file = tempfile.TemporaryFile(prefix="neo4j-test-server-")  # noqa: SIM115
        try:
            # New session: stop() can signal the whole group (the JVM, or Maven while the
            # jars are still being resolved). stdin=PIPE: the server stops when it closes,
            # i.e. when this process dies, however it dies.
            self._proc = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr_file,
                env=self._env,
                start_new_session=True,
            )
        except OSError as exc:
            self._close_files()
            raise RuntimeError(f"cannot run {self._command[0]}: {exc}") from exc

        self._reader = threading.Thread(
            target=self._read_stdout, name="neo4j-test-server-stdout", daemon=True
        )
        self._reader.start()

        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.2):
            code = self._proc.poll()
            if code is not None:
                self._reader.join(2)  # a last line may still be in the pipe
                if self._ready.is_set():
                    break
                self._fail(f"Neo4j test server exited with status {code} before it was ready")
            if time.monotonic() > deadline:
                self._fail(f"Neo4j test server was not ready within {timeout:g} s")
        assert self.bolt_uri is not None
        return self.bolt_uri

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` s). Idempotent."""
        self._terminate(timeout)
        self._close_files()

    def _terminate(self, timeout: float = 30.0) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal(proc, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.wait(10)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if self._reader is not None:
            self._reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()
        self._proc = None

    def _fail(self, message: str) -> NoReturn:
        """Stop the server, then raise with the tail of everything it said."""
        self._terminate()
        text = f"{message}: {' '.join(self._command)}\n{self.output_tail()}"
        self._close_files()
        raise RuntimeError(text)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def output_tail(self) -> str:
        """The last lines of the server's stdout and stderr (for error messages)."""
        parts: list[str] = []
        if self._stdout_lines:
            parts.append("--- stdout ---\n" + "\n".join(self._stdout_lines))
        err = self._stderr_tail()
        if err:
            parts.append("--- stderr ---\n" + err)
        return "\n".join(parts) if parts else "(no output)"

    def __enter__(self) -> Neo4jTestServer:
        if self._proc is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            self._stdout_lines.append(line)
            if line.startswith("http://") and self.http_uri is None:
                self.http_uri = line
            elif line.startswith("bolt://") and self.bolt_uri is None:
                self.bolt_uri = line
                self._ready.set()

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)

    def _stderr_tail(self) -> str:
        f = self._stderr_file
        if f is None:
            return ""
        try:
            f.flush()
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return "\n".join(text.splitlines()[-_TAIL_LINES:])

    def _close_files(self) -> None:
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None


def auth_from_env() -> tuple[str, str] | None:
    """``(NEO4J_USER, NEO4J_PASSWORD)`` if a password is set, else ``None`` (no auth, as the
    harness runs with auth disabled)."""
    password = os.environ.get("NEO4J_PASSWORD")
    if not password:
        return None
    return (os.environ.get("NEO4J_USER", "neo4j"), password)


class _SessionServer:
    """The one harness of this test process, shared by every place that registers the
    ``neo4j_uri`` fixture (a conftest and a test module importing it make two fixture
    definitions with separate caches; without this they would start two servers)."""

    server: Neo4jTestServer | None = None
    uri: str | None = None
    failure: str | None = None
    users = 0

    @classmethod
    def acquire(cls, timeout: float) -> str:
        if cls.failure is not None:  # do not wait for a second failure
            raise RuntimeError(cls.failure)
        if cls.uri is None:
            server = Neo4jTestServer(
                extra_args=[
                    "--watch-stdin",
                    "--config",
                    f"{BROWSER_ALLOWLIST_SETTING}={BROWSER_ALLOWLIST}",
                ]
            )
            try:
                cls.uri = server.start(timeout=timeout)
            except RuntimeError as exc:
                cls.failure = str(exc)
                raise
            cls.server = server
        cls.users += 1
        return cls.uri

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users <= 0 and cls.server is not None:
            cls.server.stop()
            cls.server = cls.uri = None
            cls.users = 0


@pytest.fixture(scope="session")
def neo4j_uri() -> Iterator[str]:
    """Bolt URI of a real Neo4j: ``NEO4J_URI`` if set, else a harness started once per
    test process. Fails (never skips) the requesting tests if Neo4j cannot start."""
    external = os.environ.get("NEO4J_URI")
    if external:
        yield external
        return
    timeout = float(os.environ.get("NEO4J_START_TIMEOUT", DEFAULT_START_TIMEOUT))
    try:
        uri = _SessionServer.acquire(timeout)
    except RuntimeError as exc:
        reason = str(exc)
    else:
        reason = ""
    if reason:  # outside the except block: no chained traceback in the report
        pytest.fail(
            f"Neo4j could not be started for the tests marked 'neo4j':\n{reason}\n"
            "Set NEO4J_URI to use a running Neo4j, or deselect them with -m 'not neo4j'.",
            pytrace=False,
        )
    try:
        yield uri
    finally:
        _SessionServer.release()


@pytest.fixture(scope="session")
def neo4j_http_uri(neo4j_uri: str) -> str:
    """``http://`` address of the Neo4j that ``neo4j_uri`` names (Neo4j Browser is at
    ``/browser/``): ``NEO4J_HTTP_URI`` beside ``NEO4J_URI``, else the harness's. Fails if
    there is none."""
    if os.environ.get("NEO4J_URI"):
        external = os.environ.get("NEO4J_HTTP_URI")
        if not external:
            pytest.fail("NEO4J_URI is set without NEO4J_HTTP_URI (its Browser's address)")
        return external
    server = _SessionServer.server
    if server is None or server.http_uri is None:
        pytest.fail("the Neo4j test server has no HTTP connector (Neo4j Browser)")
    return server.http_uri
