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
    n = len(text)
    count = max(1, -(-n // width))
    if count == 1:
        return text
    ideal = n / count
    # A break after text[i - 1] costs nothing extra where that is a separator (or the end).
    extra = [0.0] + [0.0 if c in _SEPARATORS else _HARD_BREAK for c in text]
    extra[n] = 0.0
    inf = float("inf")
    # best[k][i]: the cheapest split of text[:i] into k pieces (cost, previous break). Only
    # the ends from which the remaining pieces (1 to `width` characters each) can still
    # reach the end of the text are kept: the ~`width` ends per piece near the ideal, not
    # all of them (a caption is computed for every identifier written, so this is ingest
    # time); the chosen split is the same (ties keep the earliest break).
    best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}]
    for k in range(1, count + 1):
        prev = best[k - 1]
        row: dict[int, tuple[float, int]] = {}
        for i in range(max(k, n - (count - k) * width), min(k * width, n - (count - k)) + 1):
            cheapest = (inf, 0)
            for j in range(max(0, i - width), i):
                if j in prev:
                    total = prev[j][0] + ((i - j - ideal) ** 2 + extra[i])
                    if total < cheapest[0]:
                        cheapest = (total, j)
            if cheapest[0] < inf:
                row[i] = cheapest
        best.append(row)
    pieces: list[str] = []
    end = n
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
