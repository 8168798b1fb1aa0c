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

#: Characters per caption line at most: what one line of a node of the style file holds.
CAPTION_WIDTH = 12
_SEPARATORS = frozenset("@.-_:+/\u00a0")
# A break after no separator costs as much as a piece three characters off the ideal.
_HARD_BREAK = 9.0


def wrap_caption(text: str, width: int = CAPTION_WIDTH) -> str:
    """`text` in as few pieces of at most `width` characters as it takes, joined by spaces,
    the pieces of nearly equal length, each ending after a separator (`@ . - _ : + /`)
    where one is near. A space of `text` becomes a no-break space (Browser breaks lines
    at spaces only). Joining the pieces gives that text back.

    Equal lengths matter: Browser packs as many pieces into a line as fit (by pixels), and
    when the last line overflows it drops the line's last piece for an ellipsis; pieces
    so long that no two share a line keep one piece a line, none dropped."""
    text = text.replace(" ", "\u00a0")
    count = max(1, -(-len(text) // width))
    if count == 1:
        return text
    ideal = len(text) / count

    def cost(start: int, end: int) -> float:
        miss = (end - start - ideal) ** 2
        return miss if end == len(text) or text[end - 1] in _SEPARATORS else miss + _HARD_BREAK

    # best[k][i]: the cheapest split of text[:i] into k pieces (cost, previous break)
    inf = float("inf")
    best = [[(inf, 0)] * (len(text) + 1) for _ in range(count + 1)]
    best[0][0] = (0.0, 0)
    for k in range(1, count + 1):
        for i in range(1, len(text) + 1):
            for j in range(max(0, i - width), i):
                if best[k - 1][j][0] < inf:
                    total = best[k - 1][j][0] + cost(j, i)
                    if total < best[k][i][0]:
                        best[k][i] = (total, j)
    pieces: list[str] = []
    end = len(text)
    for k in range(count, 0, -1):
        start = best[k][end][1]
        pieces.append(text[start:end])
        end = start
    return " ".join(reversed(pieces))


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
