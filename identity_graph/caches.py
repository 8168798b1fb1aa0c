"""Caches keyed on text: only short text is cached.

The values these caches see (names, addresses, postcodes, phones, hashed values) repeat
across thousands of records and are short; a long one is rare and computed each time, so
that a flood of distinct long values cannot fill memory (262,144 entries of 4 KB would be
a gigabyte). Ingest bounds every stored string too (`identity_graph.ingest.limits`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# Longer first arguments are computed, never cached.
MAX_CACHED_TEXT = 256


class ShortTextCache(Generic[P, R]):
    """`functools.lru_cache` for a function whose first argument is a string, that leaves
    strings longer than `max_len` uncached."""

    def __init__(self, func: Callable[P, R], maxsize: int, max_len: int) -> None:
        self._func = func
        self._lru = functools.lru_cache(maxsize=maxsize)(func)
        # The same cache, typed as the function it wraps (lru_cache's own call is untyped).
        self._cached: Callable[P, R] = self._lru
        self._max_len = max_len
        functools.update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        first = args[0] if args else None
        if isinstance(first, str) and len(first) > self._max_len:
            return self._func(*args, **kwargs)
        return self._cached(*args, **kwargs)

    def cache_info(self) -> functools._CacheInfo:
        return self._lru.cache_info()

    def cache_clear(self) -> None:
        self._lru.cache_clear()


def short_text_cache(
    maxsize: int, max_len: int = MAX_CACHED_TEXT
) -> Callable[[Callable[P, R]], ShortTextCache[P, R]]:
    def wrap(func: Callable[P, R]) -> ShortTextCache[P, R]:
        return ShortTextCache(func, maxsize, max_len)

    return wrap
