"""After an erasure, no raw value of the person is in the SQLite files (database, WAL,
shared memory), byte for byte. The same run with `secure_delete` off finds them in the
file's free space: the scan can fail, and secure_delete is what makes it pass."""

from __future__ import annotations

from pathlib import Path

from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.erasure_data import RAW, seed


def _found(path: Path) -> dict[str, list[str]]:
    """Anna's raw values in each of the store's files, as UTF-8 bytes, any case."""
    out: dict[str, list[str]] = {}
    for suffix in ("", "-wal", "-shm"):
        f = Path(f"{path}{suffix}")
        data = f.read_bytes().lower() if f.exists() else b""
        hits = [v for v in RAW if v.lower().encode("utf-8") in data]
        if hits:
            out[f.name] = hits
    return out


def _erase_anna(tmp_path: Path, *, secure_delete: bool) -> tuple[Path, dict[str, list[str]]]:
    db = tmp_path / "graph.db"
    store = SQLiteStore(f"sqlite:///{db}", secure_delete=secure_delete)
    service = IdentityService(store, Settings())
    try:
        (tmp_path / "in").mkdir()
        s = seed(service, tmp_path / "in")
        before = _found(db)
        report = service.erasure.erase([s.anna], by="steward:eva", reason="GDPR Art. 17")
        assert report.files_purged
        assert before, "the scan must see her values before the erasure"
        # Scanned with the store still open: the WAL and shared-memory files exist.
        assert (tmp_path / "graph.db-wal").exists()
        return db, _found(db)
    finally:
        store.close()


def test_no_raw_value_of_an_erased_person_is_in_the_files(tmp_path: Path) -> None:
    db, found = _erase_anna(tmp_path, secure_delete=True)
    assert found == {}
    assert _found(db) == {}  # and after closing


def test_without_secure_delete_the_scan_finds_them(tmp_path: Path) -> None:
    _, found = _erase_anna(tmp_path, secure_delete=False)
    # Every kind of value: identifiers, names and the street of her record.
    assert len(found.get("graph.db", [])) >= len(RAW) - 1, found
    assert set(found) == {"graph.db"}  # the WAL was emptied all the same
