"""The audit trail's conventions, in one place: readable subjects, the detail every audit
row carries, what the store indexes of it, and how an erased key is redacted from it.

A row's detail is JSON: `{"reason", "persons", "identifiers", "before", "after", ...}`.
`persons` and `identifiers` are what "audit by person / by identifier" finds a row by: the
stores index them at append time (`mentions`). before/after hold identifier keys and person
IDs only, never attributes or raw values (`side`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from identity_graph.ids import IdentifierKey, PersonId

__all__ = [
    "MAX_SIDE_KEYS",
    "AuditFilter",
    "decode_pair",
    "detail",
    "legacy_pair",
    "mentions",
    "pair_subject",
    "person_subject",
    "redact",
    "side",
]

#: Identifier keys one side (before/after) of a row lists; more are counted, not listed.
MAX_SIDE_KEYS = 1000
PAIR_SEPARATOR = " <-> "


def pair_subject(a: str, b: str) -> str:
    """`"{a} <-> {b}"` with a < b: the two identifiers of a pair, as a steward reads them."""
    lo, hi = sorted((a, b))
    return f"{lo}{PAIR_SEPARATOR}{hi}"


#: Review decisions recorded before subjects were readable have the opaque pair ID as their
#: subject (`legacy_pair`), and no `persons`/`identifiers` in their detail.
REVIEW_ACTIONS = ("review.approve", "review.reject")


def decode_pair(value: str) -> tuple[str, str] | None:
    """The two keys of a pair ID, or None if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        pair = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        return None
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(k, str) for k in pair)):
        return None
    return pair[0], pair[1]


def legacy_pair(action: str, subject: str) -> tuple[str, str] | None:
    """The pair of an old review decision's opaque subject (None for any other row)."""
    if action not in REVIEW_ACTIONS or PAIR_SEPARATOR in subject:
        return None
    return decode_pair(subject)


def person_subject(person_id: str) -> str:
    return f"person:{person_id}"


def side(persons: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """A before/after side: person ID -> its identifier keys (sorted), at most
    MAX_SIDE_KEYS keys in all; `truncated` counts the keys left out."""
    out: dict[str, list[str]] = {}
    room = MAX_SIDE_KEYS
    left_out = 0
    for pid in sorted(persons):
        keys = sorted(persons[pid])
        out[pid] = keys[:room]
        left_out += max(0, len(keys) - room)
        room = max(0, room - len(keys))
    result: dict[str, Any] = {"persons": out}
    if left_out:
        result["truncated"] = left_out
    return result


def detail(
    *,
    reason: str | None,
    persons: Iterable[str],
    identifiers: Iterable[str],
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    **extra: Any,
) -> str:
    """A row's detail JSON in the shared shape (extra fields after the shared ones)."""
    body: dict[str, Any] = {
        "reason": reason,
        "persons": sorted(set(persons)),
        "identifiers": sorted(set(identifiers)),
        "before": dict(before or {}),
        "after": dict(after or {}),
    }
    body.update(extra)
    return json.dumps(body, sort_keys=False)


def mentions(detail_json: str) -> tuple[list[PersonId], list[IdentifierKey]]:
    """The person IDs and identifier keys a row's detail lists (its index entries). A detail
    without the lists (rows written before them) or not JSON at all is indexed by nothing:
    a bad row must not make its whole unit of work fail."""
    try:
        body = json.loads(detail_json)
    except ValueError:
        return [], []
    if not isinstance(body, dict):
        return [], []

    def strings(name: str) -> list[str]:
        value = body.get(name)
        if not isinstance(value, list):
            return []
        return sorted({v for v in value if isinstance(v, str)})

    return [PersonId(p) for p in strings("persons")], [
        IdentifierKey(k) for k in strings("identifiers")
    ]


def redact(subject: str, detail_json: str, replace: Mapping[str, str]) -> tuple[str, str]:
    """(subject, detail) with every mention of a key of `replace` replaced by its value.

    A mention is a whole string of the detail (a value, or a key of an object), the subject
    itself, one side of a pair subject, or the key written inside free text a steward typed
    (a reason: "cookie:b was a shared tablet"). Inside text a key counts only as a whole
    word, so `cookie:a` never rewrites `cookie:ab`."""
    in_text = _mention_pattern(replace)

    def one(text: str) -> str:
        exact = replace.get(text)
        if exact is not None:
            return exact
        if in_text is None:
            return text
        return in_text.sub(lambda m: replace[m.group(0)], text)

    if subject in replace:
        subject = replace[subject]
    elif PAIR_SEPARATOR in subject:
        a, _, b = subject.partition(PAIR_SEPARATOR)
        subject = f"{one(a)}{PAIR_SEPARATOR}{one(b)}"
    elif (pair := decode_pair(subject)) is not None and set(pair) & set(replace):
        # An old review decision's opaque pair ID encodes both keys: it becomes readable.
        subject = pair_subject(one(pair[0]), one(pair[1]))
    else:
        subject = one(subject)
    try:
        body = json.loads(detail_json)
    except ValueError:
        return subject, one(detail_json)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return one(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {one(k): walk(v) for k, v in value.items()}
        return value

    return subject, json.dumps(walk(body))


# Characters that continue a key (type:value): a mention in text ends where they stop.
_KEY_CHAR = r"[\w@.:+/-]"


def _mention_pattern(replace: Mapping[str, str]) -> re.Pattern[str] | None:
    """Every key of `replace` as a whole word; longer keys first, so a key that is a prefix
    of another never cuts it."""
    if not replace:
        return None
    alternatives = "|".join(re.escape(k) for k in sorted(replace, key=len, reverse=True))
    return re.compile(f"(?<!{_KEY_CHAR})(?:{alternatives})(?!{_KEY_CHAR})")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit rows a read returns (`StoreReader.audit`); every field set is AND-ed.

    `person`: rows whose `persons` hold the ID, or (with `members_of`) whose `identifiers`
    hold a key that belongs to the person `members_of` now. `identifier`: rows whose
    `identifiers` hold the key. `since` <= at < `until` (ISO text)."""

    subject: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None
    person: PersonId | None = None
    members_of: PersonId | None = None
    identifier: IdentifierKey | None = None

    @property
    def by_mention(self) -> bool:
        return self.person is not None or self.identifier is not None


def ref_rows(
    rows: Sequence[tuple[int, str]],
) -> list[tuple[int, str, str]]:
    """(row id, kind, ref) index entries of (row id, detail JSON) rows; kind is `person`
    or `identifier`."""
    out: list[tuple[int, str, str]] = []
    for row_id, text in rows:
        persons, identifiers = mentions(text)
        out.extend((row_id, "person", p) for p in persons)
        out.extend((row_id, "identifier", k) for k in identifiers)
    return out
