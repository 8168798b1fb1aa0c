"""The link fold: a batch's evidence for a pair, and the pair's stored link, become the one
final row the store writes.

Rules (as if each piece of evidence were applied in order to the stored link): `count`
adds up; the strongest evidence sets `weight`, and `kind` (ties go to the later one; a
steward's kind stays: a must-link keeps stitching through hubs whatever comes later); the
last non-empty `evidence` wins; a `status` other than "active" (a steward's cannot_link)
replaces the stored one, "active" evidence never does; `sources` accumulate, distinct, in
order of first appearance; `first_seen`/`last_seen` widen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from identity_graph.ids import IdentifierKey, Pair
from identity_graph.stores.rows import LinkRow


@dataclass(slots=True)
class LinkEvidence:
    """Evidence for one link from one source. `a < b` always (links are undirected)."""

    a: IdentifierKey
    b: IdentifierKey
    weight: float
    kind: str
    source: str
    count: int
    first_seen: str
    last_seen: str
    evidence: str = "{}"  # JSON text: the explanation of a probabilistic/steward link
    # "active" evidence never changes a stored status; "cannot_link" (a steward's reject)
    # replaces it, and such a link is never used to join persons.
    status: str = "active"


def _fresh(e: LinkEvidence) -> LinkRow:
    return LinkRow(
        e.a,
        e.b,
        e.weight,
        e.kind,
        [e.source],
        e.evidence,
        e.count,
        e.first_seen,
        e.last_seen,
        e.status,
    )


def _add(cur: LinkRow, e: LinkEvidence) -> None:
    if e.weight >= cur.weight:
        if cur.kind != "steward":
            cur.kind = e.kind
        cur.weight = e.weight
    if e.evidence != "{}":
        cur.evidence = e.evidence
    if e.status != "active":
        cur.status = e.status
    if e.source not in cur.sources:
        cur.sources.append(e.source)
    cur.count += e.count
    cur.first_seen = min(cur.first_seen, e.first_seen)
    cur.last_seen = max(cur.last_seen, e.last_seen)


def fold_links(
    evidence: Iterable[LinkEvidence], stored: Mapping[Pair, LinkRow]
) -> dict[Pair, LinkRow]:
    """One final row per pair of `evidence`, in order of first appearance. `stored` holds
    the stored links of (at least) these pairs; it is not modified."""
    out: dict[Pair, LinkRow] = {}
    for e in evidence:
        pair = (e.a, e.b)
        cur = out.get(pair)
        if cur is None:
            before = stored.get(pair)
            if before is None:
                out[pair] = _fresh(e)
                continue
            cur = out[pair] = LinkRow(
                before.a,
                before.b,
                before.weight,
                before.kind,
                list(before.sources),
                before.evidence,
                before.count,
                before.first_seen,
                before.last_seen,
                before.status,
            )
        _add(cur, e)
    return out
