"""Every cache of ingest, matching and exports is keyed after validation: a flood of
distinct long values (the 200 rejected 1 MB user IDs that once kept ~170 MB each time)
never enters one, while the short values that repeat are still cached."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from identity_graph.caches import MAX_CACHED_TEXT, ShortTextCache
from identity_graph.errors import InvalidValue
from identity_graph.exports.platforms import google, meta
from identity_graph.exports.platforms import normalize as export_normalize
from identity_graph.matching import standardize

CACHES: list[tuple[str, ShortTextCache[..., object], Callable[[str], tuple[object, ...]]]] = [
    ("normalize_header", standardize.normalize_header, lambda v: (v,)),
    ("_clean_text", standardize._clean_text, lambda v: (v,)),
    ("clean_name", standardize.clean_name, lambda v: (v,)),
    ("clean_address", standardize.clean_address, lambda v: (v,)),
    ("export _parse_phone", export_normalize._parse_phone, lambda v: (v, "US")),
    ("export name", export_normalize.name, lambda v: (v,)),
    ("export letters_only", export_normalize.letters_only, lambda v: (v,)),
    ("export birth_date", export_normalize.birth_date, lambda v: (v,)),
    ("export country_code", export_normalize.country_code, lambda v: (v,)),
    ("meta normalize_zip", meta.normalize_zip, lambda v: (v,)),
    ("meta normalize_dob", meta.normalize_dob, lambda v: (v,)),
    ("meta _hashed", meta._hashed, lambda v: (v,)),
    ("google _hashed", google._hashed, lambda v: (v,)),
]


def _call(cache: ShortTextCache[..., object], args: tuple[object, ...]) -> None:
    with contextlib.suppress(InvalidValue):
        cache(*args)


@pytest.mark.parametrize(("cache", "args"), [pytest.param(c, a, id=name) for name, c, a in CACHES])
def test_long_values_never_enter_the_cache(
    cache: ShortTextCache[..., object], args: Callable[[str], tuple[object, ...]]
) -> None:
    before = cache.cache_info().currsize
    for i in range(50):
        _call(cache, args(f"{i} " + "x" * 100_000))
    assert cache.cache_info().currsize == before
    # A short value is still cached (a value that is cached already changes nothing).
    _call(cache, args(f"Anna {len(CACHES)} cache probe"[:MAX_CACHED_TEXT]))
    info = cache.cache_info()
    assert info.currsize in (before, before + 1) and info.misses + info.hits > 0


def test_the_standardizers_dict_caches_take_short_values_only() -> None:
    s = standardize.Standardizer(invalid_dates="null")
    for i in range(50):
        s.standardize({"given_name": f"{i}" + "x" * 100_000, "date_of_birth": f"{i}" + "9" * 5000})
    assert len(s._cache) == 0 and len(s._date_cache) == 0
    s.standardize({"given_name": "Anna", "date_of_birth": "1980-02-03"})
    assert len(s._cache) == 2 and len(s._date_cache) == 1
