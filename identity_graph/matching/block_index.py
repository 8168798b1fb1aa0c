"""The incremental blocking index: candidates for a batch of new records against the records
already indexed, without holding the records (only their 64-bit key hashes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from identity_graph.matching.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    U64,
    BlockingRule,
    BoolArray,
    as_rules,
    rule_keys,
)
from identity_graph.matching.candidates import (
    BlockingReport,
    CandidatePairs,
    RuleReport,
    SkippedBlock,
    describe_key,
    key_groups,
    pairs_in_groups,
)
from identity_graph.matching.table import IntArray, RecordTable

# -- incremental ----------------------------------------------------------------------------


class BlockingIndex:
    """Block keys of existing records, to find candidates for a batch of new records.

    Holds per rule the 64-bit key hash of every record plus a sorted copy for lookups
    (about 24 bytes per record and rule), never the records themselves. Records added
    after the last full sort go to a small separately sorted "delta" that is merged into
    the main sorted arrays once it reaches an eighth of them, so adding a batch and
    looking up the next one stays cheap on millions of records.
    """

    def __init__(
        self,
        rules: Iterable[BlockingRule | str | Sequence[str]],
        *,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    ) -> None:
        self.rules = as_rules(rules)
        self.max_block_size = max_block_size
        self.ids: list[str] = []
        self._keys: list[U64] = [np.zeros(0, dtype=np.uint64) for _ in self.rules]
        self._ok: list[BoolArray] = [np.zeros(0, dtype=bool) for _ in self.rules]
        self._main: list[tuple[U64, IntArray]] | None = None  # sorted rows [0, _main_n)
        self._main_n = 0
        self._delta: list[tuple[U64, IntArray]] | None = None  # sorted rows [_main_n, n)

    @classmethod
    def build(
        cls,
        rules: Iterable[BlockingRule | str | Sequence[str]],
        existing: RecordTable,
        *,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    ) -> BlockingIndex:
        index = cls(rules, max_block_size=max_block_size)
        index.add(existing)
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, records: RecordTable) -> None:
        """Index more existing records (e.g. a batch once it has been linked)."""
        overlap = set(records.ids).intersection(self.ids)
        if overlap:
            raise ValueError(f"records already indexed: {sorted(overlap)[:3]}")
        for r, rule in enumerate(self.rules):
            keys, ok = rule_keys(rule, records)
            self._keys[r] = np.concatenate((self._keys[r], keys))
            self._ok[r] = np.concatenate((self._ok[r], ok))
        self.ids.extend(records.ids)
        self._delta = None

    @staticmethod
    def _sort(keys: U64, ok: BoolArray, start: int) -> tuple[U64, IntArray]:
        rows = start + np.flatnonzero(ok[start:])
        order = rows[np.argsort(keys[rows], kind="stable")].astype(np.int64)
        return keys[order], order

    def _levels(self) -> list[list[tuple[U64, IntArray]]]:
        """Per rule, the sorted (keys, rows) levels to search: main and delta."""
        n = len(self.ids)
        if self._main is None or n - self._main_n > max(50_000, self._main_n // 8):
            self._main = [self._sort(k, ok, 0) for k, ok in zip(self._keys, self._ok, strict=True)]
            self._main_n, self._delta = n, None
        if self._delta is None:
            self._delta = [
                self._sort(k, ok, self._main_n) for k, ok in zip(self._keys, self._ok, strict=True)
            ]
        return [[m, d] for m, d in zip(self._main, self._delta, strict=True)]

    def candidates(self, new: RecordTable) -> CandidatePairs:
        """Pairs new x existing and new x new only (existing x existing were done before).

        Indices refer to `ids = existing ids + new ids`; `id_pairs()` gives record IDs with
        the new record first in new x existing pairs.
        """
        n_old = len(self.ids)
        overlap = set(new.ids).intersection(self.ids)
        if overlap:
            raise ValueError(f"records already indexed: {sorted(overlap)[:3]}")
        levels = self._levels()
        report = BlockingReport([])
        out_a: list[IntArray] = []
        out_b: list[IntArray] = []
        done: list[tuple[U64, BoolArray, BoolArray]] = []  # new keys, ok, skipped (new rows)
        for r, rule in enumerate(self.rules):
            cap = rule.max_block_size or self.max_block_size
            keys, ok = rule_keys(rule, new)
            ranges = []
            n_exist = np.zeros(len(new), dtype=np.int64)
            for sk, srows in levels[r]:
                lo = np.searchsorted(sk, keys, side="left")
                hi = np.searchsorted(sk, keys, side="right")
                ranges.append((lo, np.where(ok, hi - lo, 0), srows))
                n_exist += ranges[-1][1]
            members, starts, sizes = key_groups(keys, ok)
            n_new = np.zeros(len(new), dtype=np.int64)
            n_new[members] = np.repeat(sizes, sizes)
            block_size = n_exist + n_new
            skipped = ok & (block_size > cap)
            rr = RuleReport(rule.name, largest_block=int(block_size.max(initial=0)))
            report.rules.append(rr)
            seen_keys: set[int] = set()
            for i in np.flatnonzero(skipped).tolist():
                if int(keys[i]) not in seen_keys:
                    seen_keys.add(int(keys[i]))
                    rr.skipped.append(
                        SkippedBlock(rule.name, describe_key(rule, new, i), int(block_size[i]))
                    )
            # new x existing: expand each new row's [lo, hi) range of matching old rows.
            a_parts: list[IntArray] = []
            b_parts: list[IntArray] = []
            for lo, count, srows in ranges:
                rows_new = np.flatnonzero(ok & ~skipped & (count > 0))
                counts = count[rows_new]
                a = np.repeat(rows_new, counts)
                offset = np.arange(len(a)) - np.repeat(np.cumsum(counts) - counts, counts)
                a_parts.append(a)
                b_parts.append(srows[np.repeat(lo[rows_new], counts) + offset])
            a = np.concatenate(a_parts).astype(np.int64)
            b_old = np.concatenate(b_parts).astype(np.int64)
            # new x new: pairs inside groups of the new batch (same as `block`).
            nn_a: list[IntArray] = []
            nn_b: list[IntArray] = []
            for size in np.unique(sizes[sizes >= 2]).tolist():
                sel = starts[sizes == size]
                sel = sel[~skipped[members[sel]]]
                for x, y in pairs_in_groups(members, sel, size, 1_000_000):
                    nn_a.append(x)
                    nn_b.append(y)
            pa = np.concatenate([a, *nn_a]).astype(np.int64)
            pb_new = np.concatenate([np.full(len(a), -1, np.int64), *nn_b]).astype(np.int64)
            pb_old = np.concatenate([b_old, np.full(len(pa) - len(a), -1, np.int64)])
            rr.blocks = int(np.count_nonzero(n_exist[ok & ~skipped] > 0)) + len(nn_a)
            rr.pairs = len(pa)
            # Drop pairs an earlier rule produced: same key there and that block not skipped.
            keep = np.ones(len(pa), dtype=bool)
            is_old = pb_old >= 0
            for k, (pkeys, pok, pskip) in enumerate(done):
                other_key = np.zeros(len(pa), dtype=np.uint64)
                other_ok = np.zeros(len(pa), dtype=bool)
                other_key[is_old] = self._keys[k][pb_old[is_old]]
                other_ok[is_old] = self._ok[k][pb_old[is_old]]
                other_key[~is_old] = pkeys[pb_new[~is_old]]
                other_ok[~is_old] = pok[pb_new[~is_old]]
                keep &= ~(pok[pa] & other_ok & (pkeys[pa] == other_key) & ~pskip[pa])
            pa, pb_new, pb_old = pa[keep], pb_new[keep], pb_old[keep]
            rr.new_pairs = len(pa)
            out_a.append(pa + n_old)
            out_b.append(np.where(pb_old >= 0, pb_old, pb_new + n_old))
            done.append((keys, ok, skipped))
        left = np.concatenate(out_a) if out_a else np.zeros(0, np.int64)
        right = np.concatenate(out_b) if out_b else np.zeros(0, np.int64)
        return CandidatePairs(left, right, [*self.ids, *new.ids], report)
