"""Shared by the benchmarks: the machine description and dataset caching."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"


def require_packages(script: str, packages: dict[str, str], extra_flags: str = "") -> None:
    """Exit naming the pip packages to install if any import name is missing. find_spec on
    a top-level name locates a package without importing it."""
    missing = [pip for name, pip in packages.items() if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(
            f"{script}: missing package(s): {', '.join(missing)}\n"
            f"install with: pip install {extra_flags}{' '.join(missing)}"
        )


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        # Other work on the machine skews timings; the 1-minute load says how much.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=BENCH,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def events_file(people: int, events: int, seed: int) -> Path:
    """The generator's events as JSONL, written once per (people, events, seed)."""
    from identity_graph.devtools import synthetic

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"events-p{people}-e{events}-s{seed}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        pop = synthetic.make_population(people=people, seed=seed)
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        with tmp.open("w", encoding="utf-8") as f:
            f.writelines(dumps(e) + "\n" for e in synthetic.iter_events(pop, events))
        tmp.rename(path)
    return path


def ready_events_file(people: int, events: int, seed: int) -> Path:
    """`events_file`, saying on stderr where it is, how large, and how long it took."""
    started = time.perf_counter()
    path = events_file(people, events, seed)
    print(
        f"events file {path} ({path.stat().st_size / 2**20:.0f} MiB, "
        f"ready in {time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    return path


def ingest_cli(
    path: Path, store: str, batch_size: int, cache_mib: int | None = None
) -> tuple[float, int, dict[str, int]]:
    """Seconds for `identity-graph ingest`, its peak RSS in KiB, and its file I/O.

    The peak is from wait4, not RUSAGE_CHILDREN (the peak of every child so far); either
    includes what this process held when it forked, which is less than the ingest's own.
    The I/O is the child's /proc/PID/io (rchar, wchar, syscr, syscw: bytes and calls of
    read and write, most of them served by the OS page cache), read every half second
    until it exits. `cache_mib`: the SQLite writer's cache, as a user sets it
    (IDENTITY_GRAPH_SQLITE_CACHE_MIB)."""
    env = dict(os.environ)
    if cache_mib is not None:
        env["IDENTITY_GRAPH_SQLITE_CACHE_MIB"] = str(cache_mib)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "identity_graph",
            "ingest",
            str(path),
            "--store",
            store,
            "--batch-size",
            str(batch_size),
        ],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    io: dict[str, int] = {}
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        io = _proc_io(proc.pid) or io
        time.sleep(0.5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return seconds, usage.ru_maxrss, io


def _proc_io(pid: int) -> dict[str, int]:
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:  # not Linux, or the process is gone
        return {}
    fields = dict(line.split(": ") for line in text.splitlines())
    return {k: int(fields[k]) for k in ("rchar", "wchar", "syscr", "syscw") if k in fields}


def write_result(name: str, result: dict[str, object]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
