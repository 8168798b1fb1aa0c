"""What the durability and concurrency tests check on a store after the fact: whole
batches, and a partition of identifiers into persons that is the graph's components."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from identity_graph.config import Settings
from identity_graph.stores.contract import GraphStore

PRODUCTS = 7
COOKIES = 5


@dataclass(frozen=True)
class Batch:
    """One batch of events about one customer of its own (`tag`, number `n`): an identify
    and `size - 1` product views, so it leaves messages, 2 + COOKIES identifiers joined in
    one person, and VIEWED activity counting `size - 1` in all."""

    tag: str
    n: int
    size: int

    @property
    def user(self) -> str:
        return f"u-{self.tag}-{self.n}"

    def events(self) -> list[dict[str, Any]]:
        user, ts = self.user, "2025-03-01T10:00:00Z"
        out: list[dict[str, Any]] = [
            {
                "type": "identify",
                "messageId": f"{user}-0",
                "timestamp": ts,
                "userId": user,
                "anonymousId": f"c-{self.tag}-{self.n}-0",
                "traits": {"email": f"{user}@example.com"},
            }
        ]
        for i in range(1, self.size):
            out.append(
                {
                    "type": "track",
                    "event": "Product Viewed",
                    "messageId": f"{user}-{i}",
                    "timestamp": ts,
                    "userId": user,
                    "anonymousId": f"c-{self.tag}-{self.n}-{i % COOKIES}",
                    "properties": {"product_id": f"p-{i % PRODUCTS}"},
                }
            )
        return out

    @property
    def message_ids(self) -> list[str]:
        return [f"{self.user}-{i}" for i in range(self.size)]

    @property
    def keys(self) -> list[str]:
        cookies = [f"cookie:c-{self.tag}-{self.n}-{i}" for i in range(min(COOKIES, self.size))]
        return [f"customer_id:{self.user}", f"email:{self.user}@example.com", *cookies]


def batch_state(store: GraphStore, batch: Batch) -> str:
    """ "all" (every message, identifier, the one person and all activity of the batch is
    stored, and its activity counted once), "none" (nothing of it), else a description of
    what is half there."""
    with store.reader() as r:
        seen = r.seen_messages(batch.message_ids)
        found = r.identifiers(batch.keys)
        views = [a for a in r.activity([f"customer_id:{batch.user}"]) if a.kind == "VIEWED"]
    if not seen and not found and not views:
        return "none"
    persons = {i.person_id for i in found.values()}
    counted = sum(a.count for a in views)
    whole = len(seen) == batch.size and len(found) == len(batch.keys)
    if whole and len(persons) == 1 and counted == batch.size - 1:
        return "all"
    return (
        f"half: {len(seen)}/{batch.size} messages, {len(found)}/{len(batch.keys)} "
        f"identifiers in {len(persons)} person(s), {counted}/{batch.size - 1} views"
    )


def check_partition(store: GraphStore, settings: Settings) -> dict[str, str]:
    """Assert that every identifier is in exactly one person and that the persons are the
    connected components of the stored links that join persons (active, at or above the
    merge threshold); return the assignment key -> person."""
    with store.reader() as r:
        rows = list(r.scan("identifiers"))
        links = list(r.scan("links"))
    person_of: dict[str, str] = {}
    for row in rows:
        key, person = str(row["key"]), row["person_id"]
        assert person is not None, "an identifier without a person"
        assert key not in person_of, "an identifier in two persons"
        person_of[key] = str(person)
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(person_of)
    graph.add_edges_from(
        (str(link["a"]), str(link["b"]))
        for link in links
        if link["status"] == "active" and float(str(link["weight"])) >= settings.merge_threshold
    )
    components = {frozenset(c) for c in nx.connected_components(graph)}
    assert components == persons_of(person_of)
    return person_of


def persons_of(person_of: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for key, person in person_of.items():
        members.setdefault(person, set()).add(key)
    return {frozenset(m) for m in members.values()}


def components(pairs: Iterable[tuple[str, str]]) -> set[frozenset[str]]:
    """The connected components of a graph given by its edges."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_edges_from(pairs)
    return {frozenset(c) for c in nx.connected_components(graph)}
