"""CSV files for platform uploads: written beside their final name, renamed when complete.

A reader never sees half a file: rows go to a temporary file in the same directory, which
replaces `path` only once every row was written and flushed to disk. With `split`, rows are
cut into parts of the platform's batch size (one upload request each) named
`<stem>.part-00001<suffix>`, ...
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any


def part_path(path: Path, number: int) -> Path:
    return path.with_name(f"{path.stem}.part-{number:05d}{path.suffix}")


def remove_path(path: Path) -> Path:
    """Where a delta's removals go, beside its additions at `path`."""
    return path.with_name(f"{path.stem}.remove{path.suffix}")


class CsvParts:
    """Rows of one header to `path` (or to parts of `batch_size` rows with `split`)."""

    def __init__(
        self, path: Path, columns: Sequence[str], *, batch_size: int, split: bool = False
    ) -> None:
        self.path = path
        self.columns = list(columns)
        self.batch_size = batch_size
        self.split = split
        self.rows = 0
        self._pending: list[tuple[Path, Path]] = []  # (temporary, final)
        self._file: io.TextIOWrapper | None = None
        self._csv: Any = None  # csv.writer's type is private to the csv module
        self._in_part = 0

    def __enter__(self) -> CsvParts:
        if not self.split:
            self._open(self.path)
        return self

    def _open(self, final: Path) -> None:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        self._file = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in _close
        self._pending.append((tmp, final))
        self._csv = csv.writer(self._file)
        self._row(self.columns)
        self._in_part = 0

    def _row(self, cells: Sequence[str]) -> None:
        self._csv.writerow(cells)

    def write(self, cells: Sequence[str]) -> None:
        if self.split and (self._file is None or self._in_part >= self.batch_size):
            self._close_current()
            self._open(part_path(self.path, len(self._pending) + 1))
        self._row(cells)
        self._in_part += 1
        self.rows += 1

    def write_all(self, rows: Iterable[Sequence[str]]) -> None:
        for cells in rows:
            self.write(cells)

    def _close_current(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None

    @property
    def files(self) -> list[Path]:
        return [final for _, final in self._pending]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.split and self._file is None and not self._pending and exc is None:
            self._open(part_path(self.path, 1))  # an empty audience still gets its header
        self._close_current()
        if exc is not None:
            for tmp, _ in self._pending:
                tmp.unlink(missing_ok=True)
            return
        for tmp, final in self._pending:
            os.replace(tmp, final)


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[str]], every: int = 2000
) -> Iterator[str]:
    """CSV text in chunks of `every` rows, for a streamed HTTP response."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for n, cells in enumerate(rows, start=1):
        writer.writerow(cells)
        if n % every == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
