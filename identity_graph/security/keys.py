"""API keys: their format, their digest, roles, and the caller a key stands for.

A key is `igk_` followed by 43 URL-safe characters (256 random bits). Only its SHA-256 digest
is stored: with that much entropy a fast hash cannot be reversed by guessing, so no slow
password hash (and no per-request cost of one) is needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["reader", "ingest", "steward", "exporter", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

#: What each role is for, as `keys create --help` and the README describe it.
ROLE_HELP: dict[Role, str] = {
    "reader": "reads person profiles, identifiers, explanations, stats and segments",
    "ingest": "sends events (POST /v1/batch and the single-event routes) and nothing else",
    "steward": "a reader who also works the review queue and reads the audit trail",
    "exporter": "pulls hashed exports of its named segments and destinations, nothing else",
    "admin": "everything, including segment and destination definitions",
}

KEY_PREFIX = "igk_"
_KEY = re.compile(r"igk_[A-Za-z0-9_-]{43}")
# A name is the audit trail's actor: printable, short, no spaces or separators.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
# Segment and destination names of a scope; ready-made lists have `:` in them.
_SCOPE_NAME = re.compile(r"[^\x00-\x20\x7f]{1,200}")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def looks_like_key(token: str) -> bool:
    """Checked before anything is hashed or looked up: a garbage token costs nothing."""
    return _KEY.fullmatch(token) is not None


def name_problem(name: str) -> str | None:
    if _NAME.fullmatch(name) is None:
        return (
            "must be 1-64 characters: letters, digits and _ . @ -, starting with a letter or digit"
        )
    return None


def scope_problem(name: str) -> str | None:
    if _SCOPE_NAME.fullmatch(name) is None:
        return "must be 1-200 printable characters without spaces"
    return None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the key's name (the audit actor), its role and, for an exporter,
    the segments and destinations it may export."""

    name: str
    role: Role
    segments: frozenset[str] = frozenset()
    destinations: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Credentials:
    """A key as the request carried it: `scheme` is "bearer" or "basic"."""

    key: str
    scheme: Literal["bearer", "basic"]


def parse_authorization(header: str | None) -> Credentials | None:
    """`Authorization: Bearer KEY`, or `Basic base64(KEY:)` (the username; any password is
    ignored) as Segment's and RudderStack's SDKs send a write key. None: no usable key."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials(value, "bearer")
    if scheme.lower() == "basic" and value and len(value) <= 512:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, _password = decoded.partition(":")
        return Credentials(user, "basic") if user else None
    return None
