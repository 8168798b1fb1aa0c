"""Per-field comparisons of record pairs into a few agreement levels (what a comparison is:
`specs`).

Each comparison maps a pair to a level index: 0 is always "null" (either side missing,
Bayes factor exactly 1), 1 is "exact", then fuzzy levels from strongest to weakest, and
the last is "else". Levels are computed for whole arrays of pairs:

* equality is an integer comparison on the column's codes (`RecordTable.encoded`);
* fuzzy scores are computed only for the *distinct* value pairs that are not exact, with
  `rapidfuzz.process.cpdist` (element-wise scoring in C, both cores), then broadcast back.
  Blocked pairs repeat value pairs a lot (same suburb, same surname), so this is usually
  far fewer scorer calls than pairs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from nicknames import NickNamer
from rapidfuzz import process

from identity_graph.matching.specs import (
    DISTANCE,
    EXACT_LEVEL,
    NICKNAME_LEVEL,
    NULL_LEVEL,
    SIMILARITY,
    ComparisonSpec,
    FloatArray,
    LevelArray,
    Strings,
)
from identity_graph.matching.table import EncodedColumn, IntArray, RecordTable

# -- computing levels -----------------------------------------------------------------------


def _distinct_value_pairs(
    ca: npt.NDArray[np.int32], cb: npt.NDArray[np.int32], vocab_size: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct unordered code pairs and, per input pair, its index among them. All scorers
    here are symmetric, so (a, b) and (b, a) are scored once."""
    lo = np.minimum(ca, cb).astype(np.int64)
    hi = np.maximum(ca, cb).astype(np.int64)
    uniq, inverse = np.unique(lo * max(vocab_size, 1) + hi, return_inverse=True)
    return uniq // max(vocab_size, 1), uniq % max(vocab_size, 1), inverse.ravel()


# Below this many pairs, starting threads costs more than it saves.
_PARALLEL_MIN_PAIRS = 20_000


def _score(kind: str, a: Strings, b: Strings, cutoff: float | None = None) -> FloatArray:
    """Element-wise scores. With `cutoff` (the weakest threshold) rapidfuzz may stop early
    and report "beyond" for pairs past it, which all land in the else level anyway."""
    scorer = SIMILARITY.get(kind) or DISTANCE[kind]
    if kind == "token_set" and cutoff is not None:
        cutoff *= 100.0
    # workers=-1: rapidfuzz releases the GIL and splits the arrays over all cores.
    workers = -1 if len(a) >= _PARALLEL_MIN_PAIRS else 1
    out = process.cpdist(a, b, scorer=scorer, workers=workers, score_cutoff=cutoff)
    return np.asarray(out, dtype=np.float64)


def _threshold_levels(
    kind: str, scores: FloatArray, thresholds: Sequence[float], else_level: int
) -> LevelArray:
    """Level per score: 2 + index of the first threshold met, else `else_level`."""
    levels = np.full(len(scores), else_level, dtype=np.int8)
    if kind == "token_set":
        scores = scores / 100.0
    # Assign weakest first so stronger thresholds overwrite.
    for k in range(len(thresholds) - 1, -1, -1):
        met = scores >= thresholds[k] if kind in SIMILARITY else scores <= thresholds[k]
        levels[met] = 2 + k
    return levels


def _date_parts(enc: EncodedColumn) -> IntArray:
    """(vocab, 3) year, month, day per ISO date (-1 where unparseable); cached on the
    column since every chunk of pairs needs it."""
    cached = enc.derived.get("date_parts")
    if cached is not None:
        return cached
    out = np.full((len(enc.vocab), 3), -1, dtype=np.int64)
    for i, v in enumerate(enc.vocab):
        parts = v.split("-")
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() and parts[2].isdigit():
            out[i] = (int(parts[0]), int(parts[1]), int(parts[2]))
    enc.derived["date_parts"] = out
    return out


def _fuzzy_levels(
    spec: ComparisonSpec, enc: EncodedColumn, ua: IntArray, ub: IntArray
) -> LevelArray:
    """Levels (2..else) for distinct, non-equal value pairs."""
    vocab = _vocab_array(enc)
    a, b = vocab[ua], vocab[ub]
    else_level = spec.n_levels - 1
    if spec.kind == "date":
        edit = _score("damerau_levenshtein", a, b, 1)
        ymd = _date_parts(enc)
        y, m, d = ymd[:, 0], ymd[:, 1], ymd[:, 2]
        same_ym = (y[ua] == y[ub]) & (m[ua] == m[ub]) & (y[ua] >= 0)
        swapped = (y[ua] == y[ub]) & (m[ua] == d[ub]) & (d[ua] == m[ub]) & (y[ua] >= 0)
        levels = np.full(len(a), else_level, dtype=np.int8)
        levels[same_ym | swapped] = 3
        levels[edit <= 1] = 2
        return levels
    if spec.kind == "email":
        local = _email_local_codes(enc)
        return np.where(local[ua] == local[ub], 2, else_level).astype(np.int8)
    if spec.kind == "exact":
        return np.full(len(a), else_level, dtype=np.int8)
    cutoff = spec.thresholds[-1] if spec.thresholds else None
    return _threshold_levels(
        spec.kind, _score(spec.kind, a, b, cutoff), spec.thresholds, else_level
    )


def _close(spec: ComparisonSpec, a: Strings, b: Strings) -> npt.NDArray[np.bool_]:
    """Equal, or within the comparison's weakest fuzzy threshold (a swap needs both values
    to cross over, which a typo in one of them must not undo)."""
    equal: npt.NDArray[np.bool_] = np.asarray(a, dtype=object) == np.asarray(b, dtype=object)
    if spec.kind == "exact" or not spec.thresholds or len(a) == 0:
        return equal
    t = spec.thresholds[-1]
    scores = _score(spec.kind, a, b, t)
    if spec.kind == "token_set":
        scores = scores / 100.0
    return equal | (scores >= t if spec.kind in SIMILARITY else scores <= t)


def swap_levels(
    spec: ComparisonSpec, table: RecordTable, left: IntArray, right: IntArray, levels: LevelArray
) -> None:
    """Move pairs from "else" to "swapped" when the values crossed over: each side's value
    is close to the other side's `swap_with` value (both ways, where both values exist).

    Both crossings are required. One alone is not a swap: it is one shared value sitting
    in different fields ("Parker, Maria" vs "Ngozi Parker": relatives with the surname
    entered as a given name once), and as the two comparisons of a swap pair see the same
    two crossings, counting one crossing would score that single shared surname twice.
    """
    assert spec.swap_with is not None
    else_level = spec.n_levels - 1
    todo = np.flatnonzero(levels == else_level)
    if len(todo) == 0:
        return
    own, other = spec.column(table), table.encoded(spec.swap_with)
    own_v, other_v = _vocab_array(own), _vocab_array(other)
    seen = np.zeros(len(todo), dtype=bool)  # at least one crossing could be checked
    hit = np.ones(len(todo), dtype=bool)  # every crossing that could be checked holds
    for x, y in ((left[todo], right[todo]), (right[todo], left[todo])):
        cx, cy = own.codes[x], other.codes[y]
        ok = np.flatnonzero((cx >= 0) & (cy >= 0) & hit)
        seen[ok] = True
        hit[ok] = _close(spec, own_v[cx[ok]], other_v[cy[ok]])
    levels[todo[hit & seen]] = else_level - 1


def _email_local_codes(enc: EncodedColumn) -> IntArray:
    """Per vocabulary entry, an integer code of the part before "@" (cached)."""
    codes = enc.derived.get("email_local")
    if codes is None:
        lookup: dict[str, int] = {}
        codes = np.fromiter(
            (lookup.setdefault(v.partition("@")[0], len(lookup)) for v in enc.vocab),
            dtype=np.int64,
            count=len(enc.vocab),
        )
        enc.derived["email_local"] = codes
    return codes


def _vocab_array(enc: EncodedColumn) -> npt.NDArray[np.object_]:
    """The vocabulary as a numpy object array (fancy-indexable), cached on the column."""
    arr = enc.derived.get("vocab_array")
    if arr is None:
        arr = np.empty(len(enc.vocab), dtype=object)
        arr[:] = enc.vocab
        enc.derived["vocab_array"] = arr
    return arr


def _code_levels(
    spec: ComparisonSpec, enc: EncodedColumn, left: IntArray, right: IntArray
) -> LevelArray:
    """Levels (null, exact, fuzzy..., else; no swap) of pairs from one encoded column."""
    ca, cb = enc.codes[left], enc.codes[right]
    else_level = spec.n_levels - 1
    levels = np.full(len(left), else_level, dtype=np.int8)
    null = (ca < 0) | (cb < 0)
    exact = ~null & (ca == cb)
    levels[null] = NULL_LEVEL
    levels[exact] = EXACT_LEVEL
    rest = np.flatnonzero(~null & ~exact)
    if len(rest) and spec.kind != "exact":
        ra, rb = ca[rest], cb[rest]
        vocab_size = len(enc.vocab)
        if len(rest) > 50_000 and vocab_size * vocab_size > 20 * len(rest):
            # Value pairs will rarely repeat (random pairs over a large vocabulary):
            # sorting them to deduplicate would cost more than scoring them all.
            levels[rest] = _fuzzy_levels(spec, enc, ra.astype(np.int64), rb.astype(np.int64))
        else:
            ua, ub, inverse = _distinct_value_pairs(ra, rb, vocab_size)
            levels[rest] = _fuzzy_levels(spec, enc, ua, ub)[inverse]
    return levels


def _part_levels(
    spec: ComparisonSpec, table: RecordTable, left: IntArray, right: IntArray
) -> LevelArray:
    """Levels of a several-field comparison: the parts *both* records have, joined, are
    compared (a part missing on one side is left out, as a missing field is elsewhere).
    Fewer than two parts in common is null: a shared postcode alone is not a shared
    address, and m and u, like every level's, are conditional on the comparison being
    possible (so a pairing of sources where one has only postcodes does not dilute them).

    Pairs whose records have the same parts (the usual case) compare the table's cached
    combined column; the others are grouped by the parts they share and each group is
    joined for its own rows only."""
    whole = table.combined(spec.fields)
    parts = whole.derived["parts"]
    pl, pr = parts[left], parts[right]
    common = pl & pr
    n_common = np.array([bin(x).count("1") for x in range(1 << len(spec.fields))])[common]
    levels = np.full(len(left), NULL_LEVEL, dtype=np.int8)
    same = np.flatnonzero((pl == pr) & (n_common >= 2))
    levels[same] = _code_levels(spec, whole, left[same], right[same])
    differ = np.flatnonzero((pl != pr) & (n_common >= 2))
    for mask in np.unique(common[differ]).tolist():
        idx = differ[common[differ] == mask]
        names = [f for j, f in enumerate(spec.fields) if mask >> j & 1]
        local = table.combined_rows(names, np.concatenate((left[idx], right[idx])))
        n = np.arange(len(idx), dtype=np.int64)
        levels[idx] = _code_levels(spec, local, n, n + len(idx))
    return levels


def compare_field(
    spec: ComparisonSpec, table: RecordTable, left: IntArray, right: IntArray
) -> LevelArray:
    """Level index per pair for one comparison."""
    if spec.fields:
        return _part_levels(spec, table, left, right)
    levels = _code_levels(spec, spec.column(table), left, right)
    if spec.nicknames:
        nickname_levels(spec, table, left, right, levels)
    if spec.swap_with is not None:
        swap_levels(spec, table, left, right, levels)
    return levels


def nickname_levels(
    spec: ComparisonSpec, table: RecordTable, left: IntArray, right: IntArray, levels: LevelArray
) -> None:
    """Move pairs from "else" to "nickname" where the two names share a canonical name in
    the `nicknames` dataset (Bob and Robert; Bob and Rob, both Robert's)."""
    todo = np.flatnonzero(levels == spec.n_levels - 1)
    if len(todo) == 0:
        return
    enc = spec.column(table)
    keys = _nickname_keys(enc)
    known = enc.derived["nickname_known"]
    ca, cb = enc.codes[left[todo]], enc.codes[right[todo]]
    both = np.flatnonzero(known[ca] & known[cb])  # "else" has no nulls: codes are >= 0
    if len(both) == 0:
        return
    ua, ub, inverse = _distinct_value_pairs(ca[both], cb[both], len(enc.vocab))
    related = np.fromiter(
        (not keys[x].isdisjoint(keys[y]) for x, y in zip(ua.tolist(), ub.tolist(), strict=True)),
        dtype=bool,
        count=len(ua),
    )
    levels[todo[both[related[inverse]]]] = spec.level_labels.index(NICKNAME_LEVEL)


def _nickname_keys(enc: EncodedColumn) -> npt.NDArray[np.object_]:
    """Per vocabulary entry, the name with its canonical names in the nicknames dataset,
    or None for a name the dataset does not know (cached on the column)."""
    keys = enc.derived.get("nickname_keys")
    if keys is None:
        namer = _nick_namer()
        keys = np.empty(len(enc.vocab), dtype=object)
        for i, value in enumerate(enc.vocab):
            canonicals = namer.canonicals_of(value)
            if canonicals or namer.nicknames_of(value):
                keys[i] = frozenset({value.lower(), *canonicals})
        enc.derived["nickname_keys"] = keys
        enc.derived["nickname_known"] = np.array([k is not None for k in keys], dtype=bool)
    return keys


@functools.cache
def _nick_namer() -> NickNamer:
    return NickNamer()


def compare(
    specs: Sequence[ComparisonSpec], table: RecordTable, left: IntArray, right: IntArray
) -> LevelArray:
    """Comparison vectors: an (n_pairs, n_comparisons) int8 matrix of level indices."""
    out = np.empty((len(left), len(specs)), dtype=np.int8)
    for k, spec in enumerate(specs):
        out[:, k] = compare_field(spec, table, left, right)
    labels = [s.label for s in specs]
    for k, spec in enumerate(specs):
        if spec.fallback_for is not None:
            out[out[:, labels.index(spec.fallback_for)] != NULL_LEVEL, k] = NULL_LEVEL
    return out
