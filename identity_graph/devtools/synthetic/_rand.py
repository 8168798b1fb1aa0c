"""Small, fast helpers on top of `random.Random`: UUIDs, weighted picks, typos.

Everything takes the generator explicitly: a module-level or global random state would make
output depend on call order elsewhere in the process, and determinism per seed is the point.
"""

from __future__ import annotations

import gc
import unicodedata
from bisect import bisect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

from identity_graph.devtools.synthetic._names import NICKNAMES

T = TypeVar("T")

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Generation allocates millions of small acyclic objects; the cyclic collector would
    rescan them over and over for nothing (about a third of the run time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def uuid4(rng: Random) -> str:
    """A version-4 UUID string drawn from `rng` (uuid.uuid4 reads os.urandom: not seedable)."""
    x = rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
    h = f"{x:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version nibble 4 and RFC 4122 variant bits 10, as uuid.UUID(version=4) sets them.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_SET = (0x4 << 76) | (0x2 << 62)


class Weighted(Generic[T]):
    """Repeated weighted draws; bisect on cumulative weights beats `Random.choices` per call."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self._items = items
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1]

    def index(self, rng: Random) -> int:
        return bisect(self._cum, rng.random() * self._total)

    def pick(self, rng: Random) -> T:
        return self._items[bisect(self._cum, rng.random() * self._total)]


def tiered(*tiers: tuple[Sequence[str], float]) -> tuple[tuple[str, ...], list[float]]:
    """Flatten (names, weight-per-name) tiers into parallel item/weight lists."""
    items: list[str] = []
    weights: list[float] = []
    for names, weight in tiers:
        items.extend(names)
        weights.extend([weight] * len(names))
    return tuple(items), weights


@cache
def ascii_fold(text: str) -> str:
    """'Zoë O'Brien' -> 'Zoe OBrien': what people type into email local parts."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c not in "'’")


# QWERTY neighbours: substitution typos hit adjacent keys far more often than random ones.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _i, _c in enumerate(_row):
        near = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += _ROWS[_other][max(0, _i - 1) : _i + 1]
        _NEIGHBOURS[_c] = near


def typo(rng: Random, text: str) -> str:
    """One realistic keying error: transposition, dropped, doubled or adjacent-key letter."""
    n = len(text)
    if n < 3:
        return text
    i = rng.randrange(1, n - 1)  # first letters are typed with more care
    kind = rng.random()
    if kind < 0.35:
        if text[i] == text[i + 1]:
            return text[:i] + text[i + 1 :]
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.65:
        return text[:i] + text[i + 1 :]
    if kind < 0.8:
        return text[:i] + text[i] + text[i:]
    c = text[i]
    near = _NEIGHBOURS.get(c.lower())
    if not near:
        return text[:i] + text[i + 1 :]
    repl = near[rng.randrange(len(near))]
    return text[:i] + (repl.upper() if c.isupper() else repl) + text[i + 1 :]


def nickname(rng: Random, given: str) -> str:
    names = NICKNAMES.get(given)
    return names[rng.randrange(len(names))] if names else given


def digit_typo(rng: Random, digits: str) -> str:
    """A mistyped digit or two swapped digits, the way dates and postcodes go wrong."""
    if len(digits) < 2:
        return digits
    i = rng.randrange(len(digits) - 1)
    if rng.random() < 0.5 and digits[i] != digits[i + 1]:
        return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
    new = str((int(digits[i]) + rng.choice((1, 9))) % 10) if digits[i].isdigit() else digits[i]
    return digits[:i] + new + digits[i + 1 :]


def email_variant(rng: Random, email: str) -> str:
    """How people type their address: it lower-cases and trims back to `email`."""
    r = rng.random()
    local, _, domain = email.partition("@")
    if r < 0.35:
        return ".".join(w.capitalize() for w in local.split(".")) + "@" + domain
    if r < 0.55:
        return email.upper()
    if r < 0.75:
        return f" {email} " if r < 0.65 else f"{email} "
    name, _, tld = domain.rpartition(".")
    cased = ".".join(w.capitalize() for w in local.split("."))
    return f" {cased}@{name.capitalize()}.{tld.upper()} "
