"""`identity-graph serve`: the HTTP API under uvicorn."""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from identity_graph.cli.common import ConfigOpt, StoreOpt, console, fail, store_and_config
from identity_graph.cli.runtime import Neo4jCredentials, RuntimeSettings, build_service
from identity_graph.errors import IdentityGraphError

# What uvicorn imports in each worker process when there are several (see `serve`).
APP_FACTORY = "identity_graph.api.main:create_app"


def serve(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log every request line. Off by default: URLs carry identifiers "
            "(personal data), which must not reach logs."
        ),
    ] = False,
    write_wait: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Seconds a write waits for its turn before it is answered 503 with "
            "Retry-After [default: IDENTITY_GRAPH_WRITE_WAIT_SECONDS, else 5]",
            show_default=False,
        ),
    ] = None,
    shutdown_grace: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="On SIGTERM/Ctrl-C, seconds requests in flight may take to finish (their "
            "batches commit and are answered; new connections are refused) "
            "[default: IDENTITY_GRAPH_SHUTDOWN_GRACE_SECONDS, else 30]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from identity_graph.api.main import create_app

    url, cfg = store_and_config(store, config)
    runtime = RuntimeSettings()
    wait = write_wait if write_wait is not None else runtime.write_wait_seconds
    grace = shutdown_grace if shutdown_grace is not None else runtime.shutdown_grace_seconds
    credentials = Neo4jCredentials()
    try:  # fail here, with a clear message, rather than inside the server's lifespan
        build_service(url, cfg, credentials, wait).close()
    except IdentityGraphError as exc:
        raise fail(str(exc)) from None
    console.print(f"serving {url} on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    if workers == 1:
        # One process: the app factory gets the settings as values; no environment involved.
        service = partial(build_service, url, cfg, credentials, wait)
        uvicorn.run(
            partial(create_app, service_factory=service),
            factory=True,
            host=host,
            port=port,
            access_log=access_log,
            log_level="info",
            timeout_graceful_shutdown=grace,
        )
        return
    # Several workers: uvicorn starts each in a fresh interpreter that imports an import
    # string, so settings cannot be handed over as Python objects. They go in the
    # environment of a new uvicorn process, which reads them there (RuntimeSettings), as a
    # container's environment would be read. This process's own environment is never
    # written; the new process replaces it (exec), so signals (Ctrl-C, docker stop) reach
    # uvicorn directly.
    env = dict(os.environ, IDENTITY_GRAPH_STORE=url, IDENTITY_GRAPH_WRITE_WAIT_SECONDS=str(wait))
    if cfg is not None:
        env["IDENTITY_GRAPH_CONFIG"] = str(Path(cfg).resolve())
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        APP_FACTORY,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
        "--access-log" if access_log else "--no-access-log",
        "--timeout-graceful-shutdown",
        str(grace),
    ]
    exec_process(argv, env)


def exec_process(argv: list[str], env: dict[str, str]) -> None:
    """Replace this process with `argv` under `env` (a seam for tests)."""
    sys.stdout.flush()  # exec drops whatever is still buffered
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
