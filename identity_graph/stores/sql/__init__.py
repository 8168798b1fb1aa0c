"""The embedded store's SQL: the schema (`schema.sql`) and every query as a named constant.

`reads`, `writes` and `copies` hold fixed text. Templates (names ending in `_IN`) carry
`%%marker%%`s that `stores.query.expand` fills with parameter names (`$param_0, ...`) or
checked names, never with values. `tests/test_sql.py` runs each of them on a real SQLite
store and checks its plan.
"""

from __future__ import annotations

from importlib import resources


def schema() -> str:
    return resources.files(__name__).joinpath("schema.sql").read_text(encoding="utf-8")
