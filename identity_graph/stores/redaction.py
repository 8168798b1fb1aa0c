"""Audit text rewriting for erasure (`ChangeSet.redact_audit`), shared by both stores.

An audit row's detail is JSON text written by `json.dumps`, which escapes non-ASCII
characters (and quotes, backslashes): a key is searched for raw (subjects, free-text
reasons) and in both JSON spellings, so that `name:josé` is found in `"name:jos\\u00e9"`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from identity_graph.ids import IdentifierKey

#: Audit rows of this action never hold a key (the erasure convention): never rewritten.
ERASE_ACTION = "person.erase"


def spellings(key: str) -> set[str]:
    """How a key can appear in audit text: raw, and JSON-escaped with and without
    `ensure_ascii`."""
    return {key, json.dumps(key)[1:-1], json.dumps(key, ensure_ascii=False)[1:-1]}


def redactor(replacements: Mapping[IdentifierKey, str]) -> Callable[[str], str]:
    """A function rewriting every spelling of every key of `replacements` in a text. Longer
    spellings are tried first, so a key that is a prefix of another never cuts it."""
    target = {s: new for key, new in replacements.items() for s in spellings(key)}
    if not target:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(s) for s in sorted(target, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: target[m.group(0)], text)
