"""Why two identifiers are, or are not, one person."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
from pydantic import BaseModel, Field

from identity_graph.config import Settings
from identity_graph.stores.contract import GraphStore
from identity_graph.views import Link


class WaterfallStep(BaseModel):
    step: str
    weight: float = Field(description="log2 Bayes factor this step adds")
    cumulative: float


class LinkExplanation(BaseModel):
    link: Link
    waterfall: list[WaterfallStep] = Field(
        default_factory=list, description="probabilistic links: prior, then each field"
    )


class Explanation(BaseModel):
    a: str
    b: str
    person_a: str
    person_b: str
    same_person: bool
    path: list[LinkExplanation] = Field(
        default_factory=list, description="the links that join a to b, in order"
    )
    reasons: list[str] = Field(default_factory=list, description="why they are apart")


def waterfall(evidence: dict[str, Any]) -> list[WaterfallStep]:
    contributions = evidence.get("contributions")
    if not isinstance(contributions, dict) or "prior_weight" not in evidence:
        return []
    levels = evidence.get("levels", {})
    total = float(evidence["prior_weight"])
    steps = [WaterfallStep(step="prior", weight=total, cumulative=total)]
    for name, weight in contributions.items():
        total += float(weight)
        steps.append(
            WaterfallStep(step=f"{name} = {levels.get(name, '?')}", weight=weight, cumulative=total)
        )
    return steps


def explain(store: GraphStore, settings: Settings, a: str, b: str) -> Explanation:
    """`a` and `b` are stored identifier keys (the caller resolved and normalized them)."""
    found_a, found_b = store.identifier(a), store.identifier(b)
    assert found_a is not None and found_b is not None
    (ident_a, pa), (ident_b, pb) = found_a, found_b
    out = Explanation(a=a, b=b, person_a=pa, person_b=pb, same_person=pa == pb)
    if out.same_person:
        links = store.person_links(pa)
        hubs = {i.key for i in store.person_identifiers(pa) if i.hub}
        graph: nx.Graph[str] = nx.Graph()
        for link in links:
            if _stitches(link, hubs, settings):
                # prefer strong, well-attested evidence: cheaper edges for higher weights
                graph.add_edge(link.a, link.b, cost=2.0 - link.weight, link=link)
        if a == b:
            return out
        nodes = nx.shortest_path(graph, a, b, weight="cost")
        for x, y in itertools.pairwise(nodes):
            link = graph.edges[x, y]["link"]
            out.path.append(LinkExplanation(link=link, waterfall=waterfall(link.evidence)))
        return out
    for ident in (ident_a, ident_b):
        if ident.hub:
            out.reasons.append(f"{ident.key} is a hub and does not stitch: {ident.hub_reason}")
    keys_a = {i.key for i in store.person_identifiers(pa)}
    keys_b = {i.key for i in store.person_identifiers(pb)}
    for link in store.links_touching(sorted(keys_a)):
        if (link.a in keys_a and link.b in keys_b) or (link.b in keys_a and link.a in keys_b):
            out.path.append(LinkExplanation(link=link, waterfall=waterfall(link.evidence)))
            if link.status == "cannot_link":
                out.reasons.append(f"a steward decided {link.a} and {link.b} are different persons")
            elif link.status == "refused":
                out.reasons.append(f"the merge through {link.a} - {link.b} was refused by a rule")
            elif link.weight < settings.merge_threshold:
                out.reasons.append(
                    f"{link.a} - {link.b} weighs {link.weight:.3f}, under the merge threshold"
                )
    for merge in store.refused_merges(limit=10_000):
        if {merge.person_a, merge.person_b} == {pa, pb}:
            out.reasons.append(f"merge refused ({merge.rule}): {merge.reason}")
    if not out.reasons:
        out.reasons.append("no evidence links these two persons")
    return out


def _stitches(link: Link, hubs: set[str], settings: Settings) -> bool:
    return (
        link.status == "active"
        and link.weight >= settings.merge_threshold
        and link.a not in hubs
        and link.b not in hubs
    )
