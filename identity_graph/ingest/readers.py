"""Streaming readers for input files: JSONL (events or records) and CSV (records).

They yield `(line_number, item, size_in_bytes)`; a line that is not valid JSON is yielded as
an `ItemError` so the batch it belongs to can list it with every other bad item.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import orjson

from identity_graph.errors import ConfigError, ItemError

Item = tuple[int, object, int]


def read_jsonl(path: Path) -> Iterator[Item]:
    with _open(path) as f:
        for number, line in enumerate(f, start=1):
            size = len(line)
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line), size
            except orjson.JSONDecodeError as exc:
                yield number, ItemError(number, "$", f"not valid JSON: {exc}"), size


def read_csv(path: Path) -> Iterator[Item]:
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        if reader.fieldnames is None:
            return
        width = len(reader.fieldnames)
        for row in reader:
            number = reader.line_num
            # TextIOWrapper hides byte offsets; the line count is a fine proxy for progress.
            size = 1
            if None in row or len(row) != width:
                yield number, ItemError(number, "$", f"expected {width} columns"), size
            else:
                yield number, row, size


def csv_header(path: Path) -> list[str]:
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return next(csv.reader(text), [])


def read_items(path: Path) -> Iterator[Item]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path)
    if suffix == ".csv":
        return read_csv(path)
    raise ConfigError(f"{path}: unknown file type {suffix!r}; expected .jsonl, .ndjson or .csv")


def progress_total(path: Path) -> int:
    """What the progress bar counts to: bytes for JSONL, lines for CSV."""
    if path.suffix.lower() == ".csv":
        with _open(path) as f:
            return max(sum(1 for _ in f) - 1, 0)
    return path.stat().st_size


def _open(path: Path) -> io.BufferedReader:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
