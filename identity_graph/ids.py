"""The two names the whole system passes around, as distinct types so that mypy tells an
identifier key from a person ID from any other string.

- `IdentifierKey`: `type:normalized_value`, unique in a store (`email:anna@example.com`).
- `PersonId`: a person's durable ID (a UUID4 string); a merged or split person's old ID
  keeps resolving through lineage.
- `Pair`: two identifier keys with `a < b`, the identity of an undirected link, a review
  pair or a steward decision.
"""

from __future__ import annotations

import base64
import json
from typing import NewType

__all__ = [
    "IdentifierKey",
    "Pair",
    "PersonId",
    "identifier_key",
    "ordered_pair",
    "pair_id",
    "split_key",
]

IdentifierKey = NewType("IdentifierKey", str)
PersonId = NewType("PersonId", str)
Pair = tuple[IdentifierKey, IdentifierKey]


def identifier_key(type_: str, value: str) -> IdentifierKey:
    """The graph key of an identifier: `type:normalized_value`, unique in the store."""
    return IdentifierKey(f"{type_}:{value}")


def split_key(key: str) -> tuple[str, str]:
    """`type:value` -> (type, value); the value may itself contain `:`."""
    type_, _, value = key.partition(":")
    return type_, value


def ordered_pair(x: IdentifierKey, y: IdentifierKey) -> Pair:
    """The pair's identity: links are undirected, so `a < b` always."""
    return (x, y) if x < y else (y, x)


def pair_id(a: str, b: str) -> str:
    """An opaque, URL-safe ID for an unordered pair of identifier keys (the review queue's
    `pair_id`; Review nodes on Neo4j carry it too)."""
    lo, hi = sorted((a, b))
    return base64.urlsafe_b64encode(json.dumps([lo, hi]).encode()).decode().rstrip("=")
