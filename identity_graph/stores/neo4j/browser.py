"""What Neo4j Browser shows of the graph: display properties the Neo4j store writes beside
the data, for stewards (`cypher/browser/style.grass` uses them as captions).

Browser 5 fits a node's caption into its circle by breaking it at spaces only: a value
without spaces (an email, a UUID cookie, a person ID) is cut after the few characters one
line holds. So identifiers and persons carry `caption`, their value (or ID) broken into
short pieces at its own separators. A relationship's caption is its properties verbatim
and its style follows its type alone (every link is `LINKED`), so a link carries
`caption`: its kind, its weight rounded, its count or status (`match 0.973`, `seen ×4`,
`steward`, `cannot-link`) — probabilistic, deterministic and steward links read apart.
Review nodes carry the `pair_id` the API's review routes take. None of these is a stored
field of the contract: they are derived from the row on every write and copy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from identity_graph.ids import pair_id

__all__ = [
    "CAPTION_WIDTH",
    "identifier_display",
    "link_caption",
    "link_display",
    "person_display",
    "review_display",
    "wrap_caption",
]

#: Characters per caption line: what one line of a node of the style file holds.
CAPTION_WIDTH = 12
# A piece ends after one of these (kept on its line): `anna.smith@` `example.com`.
_BREAK_AFTER = re.compile(r"(?<=[@.\-_:+/])")


def wrap_caption(text: str, width: int = CAPTION_WIDTH) -> str:
    """`text` broken into pieces of at most `width` characters, joined by spaces: at its
    separators where it has some, else every `width` characters. Joining the pieces gives
    `text` back (a space in `text` stays a break)."""
    lines: list[str] = []
    for word in text.split(" "):
        line = ""
        for part in _BREAK_AFTER.split(word):
            while len(part) > width:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(part[:width])
                part = part[width:]
            if len(line) + len(part) > width:
                lines.append(line)
                line = ""
            line += part
        if line:
            lines.append(line)
    return " ".join(lines)


def _rounded(weight: float) -> str:
    """Three decimals, rounded down: a probability of 0.9996 reads 0.999, never 1.000."""
    return f"{math.floor(weight * 1000) / 1000:.3f}"


def link_caption(kind: str, weight: float, count: int, status: str) -> str:
    """A link's caption: what kind of evidence, how strong, and whether it stitches."""
    if status == "cannot_link":
        return "cannot-link"
    if kind == "probabilistic":
        text = f"match {_rounded(weight)}"
    elif kind == "deterministic":
        text = f"seen ×{count}"
    elif kind == "steward":
        text = "steward"
    else:
        text = f"{kind} {_rounded(weight)}"
    return text if status == "active" else f"{text} ({status})"


def identifier_display(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "caption": wrap_caption(str(row["value"]))}


def person_display(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "caption": wrap_caption(str(row["person_id"]))}


def link_display(row: Mapping[str, Any]) -> dict[str, Any]:
    caption = link_caption(
        str(row["kind"]), float(row["weight"]), int(row["count"]), str(row["status"])
    )
    return {**row, "caption": caption}


def review_display(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "pair_id": pair_id(str(row["a"]), str(row["b"]))}
