"""Audit text rewriting for erasure (`ChangeSet.redact_audit`), shared by both stores.

An audit row's detail is JSON text written by `json.dumps`, which escapes non-ASCII
characters (and quotes, backslashes): a key is searched for raw (subjects, free-text
reasons) and in both JSON spellings, so that `name:josé` is found in `"name:jos\\u00e9"`.
Review decisions written before subjects became readable have the opaque pair ID as their
subject (base64 of the two keys, `review.decisions.pair_id`): such a subject naming an
erased key becomes the readable `"{a} <-> {b}"` with the key replaced.
"""

from __future__ import annotations

import base64
import binascii
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

    def sub(text: str) -> str:
        return pattern.sub(lambda m: target[m.group(0)], text)

    def redact(text: str) -> str:
        pair = _pair_keys(text)
        if pair is not None and (pair[0] in replacements or pair[1] in replacements):
            return f"{sub(pair[0])} <-> {sub(pair[1])}"
        return sub(text)

    return redact


_PAIR_ID = re.compile(r"[A-Za-z0-9_-]{8,}")


def _pair_keys(text: str) -> tuple[str, str] | None:
    """The two keys of a text that is an old review pair ID, else None."""
    if not _PAIR_ID.fullmatch(text):
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None
