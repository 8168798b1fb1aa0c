"""Log records as JSON lines (or plain text) on stderr, each tagged with the request it was
emitted for, and never a value: identifier values, names, emails and phones are personal
data, so exceptions are logged by type and frames only (their messages may quote a value,
a Neo4j constraint error does) and an identifier a line must refer to goes through
`mask_identifier`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

LogFormat = Literal["json", "text"]

#: The ID of the request being handled (set by the API's middleware, read by the formatters;
#: a context variable, so it follows the request into the threads that run sync routes).
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

#: The logger of the one line per request (method, route template, status, duration).
REQUESTS_LOGGER = "identity_graph.requests"

# Attributes a record may carry beyond the message (`extra=`), in the order they print.
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "caller")
# Frames kept of a traceback: the innermost ones say where it failed.
_MAX_FRAMES = 30
# Per process: masked identifiers can be told apart within one run's logs, but cannot be
# looked up in a table of hashes of known emails or phones.
_SALT = secrets.token_bytes(16)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def stamp_request_ids() -> None:
    """Give every log record the request ID current where it is created (once per process):
    a handler that formats it later, or on another thread, still names the request."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stamps_request_ids", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return record

    factory.stamps_request_ids = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def mask_identifier(type_: str, value: str) -> str:
    """`email:3f9a1c0b2d`: the type and a salted hash prefix, for a log line that must tell
    identifiers apart without showing one."""
    digest = hmac.new(_SALT, value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return f"{type_}:{digest.hexdigest()[:10]}"


def safe_exception(exc: BaseException) -> dict[str, Any]:
    """The exception's type and frames (file, line, function), the same for its cause; no
    message, no locals, no source arguments."""
    frames = traceback.extract_tb(exc.__traceback__)[-_MAX_FRAMES:]
    out: dict[str, Any] = {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "frames": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
    }
    inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if inner is not None and inner is not exc:
        out["cause"] = safe_exception(inner)
    return out


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
        "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
    }
    for name in EXTRA_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            out[name] = value
    if record.exc_info and record.exc_info[1] is not None:
        out["exc"] = safe_exception(record.exc_info[1])
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, then the request
    fields and `exc` where present."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`ts level logger [request_id] msg key=value ...`, for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        f = _fields(record)
        rid = f["request_id"] or "-"
        line = f"{f['ts']} {f['level'].upper():7} {f['logger']} [{rid}] {f['msg']}"
        extras = " ".join(f"{k}={f[k]}" for k in EXTRA_FIELDS if k in f)
        if extras:
            line = f"{line} {extras}"
        exc = f.get("exc")
        while exc is not None:
            line += f"\n  {exc['type']} (message withheld)"
            line += "".join(f"\n    at {frame}" for frame in exc["frames"])
            exc = exc.get("cause")
        return line


def logging_config(
    fmt: LogFormat = "json", level: str = "info", requests: bool = True
) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict (what uvicorn's `log_config` takes, as a dict or
    a JSON file): everything through one stderr handler in `fmt`; uvicorn's access log off
    (it prints raw paths, which carry identifiers, and query strings); our request lines
    (route templates only) at info, or only the failed ones (5xx) without `requests`."""
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": lvl},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": lvl},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": lvl},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            REQUESTS_LOGGER: {"level": lvl if requests else "ERROR"},
            # The driver's debug lines hold query parameters, that is values.
            "neo4j": {"level": "WARNING"},
        },
    }
