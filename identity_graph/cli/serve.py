"""`identity-graph serve`: the HTTP API under uvicorn."""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from identity_graph.cli.common import ConfigOpt, StoreOpt, fail, store_and_config
from identity_graph.cli.runtime import (
    Neo4jCredentials,
    build_service,
    from_environment,
    runtime_settings,
)
from identity_graph.errors import IdentityGraphError
from identity_graph.logs import LogFormat, logging_config

# What uvicorn imports in each worker process when there are several (see `serve`).
APP_FACTORY = "identity_graph.api.main:served_app"
WORKERS_MODULE = "identity_graph.cli.workers"
WORKER_HEALTHCHECK_SECONDS = 60


def serve(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            help="Log a line per request: method, route template (never the path, which "
            "carries identifiers), status, duration, request ID. Off: failed (5xx) ones only."
        ),
    ] = True,
    log_format: Annotated[
        LogFormat, typer.Option(help="Logs on stderr: one JSON object per line, or text")
    ] = "json",
    max_body_bytes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Largest request body accepted, in bytes, as received and after gzip "
            "decoding (default 10 MiB); larger is a 413. Also read from "
            "IDENTITY_GRAPH_MAX_BODY_BYTES.",
            show_default=False,
        ),
    ] = None,
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

    try:  # fail here, with a clear message, rather than inside the server's lifespan
        url, cfg = store_and_config(store, config)
        runtime = runtime_settings()
        body_limit = max_body_bytes or runtime.max_body_bytes
        wait = write_wait if write_wait is not None else runtime.write_wait_seconds
        grace = shutdown_grace if shutdown_grace is not None else runtime.shutdown_grace_seconds
        credentials = from_environment(Neo4jCredentials)
        build_service(url, cfg, credentials, wait).close()
    except IdentityGraphError as exc:
        raise fail(str(exc)) from None
    # Nothing printed here: stderr holds the server's log lines only, in one format (the
    # app logs the store it serves, uvicorn the address).
    log_config = logging_config(log_format, requests=access_log)
    if workers == 1:
        # One process: the app factory gets the settings as values; no environment involved.
        factory = partial(
            create_app,
            service_factory=partial(build_service, url, cfg, credentials, wait),
            max_body_bytes=body_limit,
            freeze_heap=True,
        )
        uvicorn.run(
            factory,
            factory=True,
            host=host,
            port=port,
            # uvicorn's own access log prints raw paths: ours (route templates) replaces it.
            access_log=False,
            log_config=log_config,
            log_level="info",
            timeout_graceful_shutdown=grace,
        )
        return
    # Several workers: uvicorn starts each in a fresh interpreter that imports an import
    # string, so settings cannot be handed over as Python objects. They go in the
    # environment of a new uvicorn process, which reads them there (RuntimeSettings), as a
    # container's environment would be read. This process's own environment is never
    # written; the new process replaces it (exec), so signals (Ctrl-C, docker stop) reach
    # uvicorn directly. `identity_graph.cli.workers` runs uvicorn's command line after
    # giving the workers a shared metrics directory and this command's logging setup.
    env = dict(
        os.environ,
        IDENTITY_GRAPH_STORE=url,
        IDENTITY_GRAPH_MAX_BODY_BYTES=str(body_limit),
        IDENTITY_GRAPH_WRITE_WAIT_SECONDS=str(wait),
    )
    if cfg is not None:
        env["IDENTITY_GRAPH_CONFIG"] = str(Path(cfg).resolve())
    argv = [
        sys.executable,
        "-m",
        WORKERS_MODULE,
        "--log-format",
        log_format,
        "--access-log" if access_log else "--no-access-log",
        "--",
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
        "--no-access-log",
        # A worker that does not answer the supervisor's ping in time is killed and
        # replaced; uvicorn's 5 s is shorter than a worker's imports on a busy machine, which
        # then never gets to serve.
        "--timeout-worker-healthcheck",
        str(WORKER_HEALTHCHECK_SECONDS),
        "--timeout-graceful-shutdown",
        str(grace),
    ]
    exec_process(argv, env)


def exec_process(argv: list[str], env: dict[str, str]) -> None:
    """Replace this process with `argv` under `env` (a seam for tests)."""
    sys.stdout.flush()  # exec drops whatever is still buffered
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
