"""The demo-like population the Browser tests browse: 500 synthetic people ingested (events,
CRM, loyalty) and matched through the service, as `identity-graph demo` does. Seed 3 gives
hubs, refused merges, merges, splits and pending reviews (the matcher is decisive enough
that 300 people of any seed leave the review band empty)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from identity_graph.cli.progress import ingest_file
from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.ingest.readers import csv_header
from identity_graph.ingest.records import RecordMapping
from identity_graph.service.identity import IdentityService
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.neo4j import Neo4jStore
from tests.neo4j_server import auth_from_env


def load_demo(store: GraphStore, folder: Path, people: int = 500, seed: int = 3) -> IdentityService:
    """Empty `store`, then ingest and match the population; the service on it."""
    store.reset()
    service = IdentityService(store, Settings())
    pop = synthetic.make_population(people=people, seed=seed)
    paths = synthetic.write_dataset(pop, folder)
    console = Console(quiet=True)
    ingest_file(service, paths.events, service.event_parser(), console, batch_size=1000)
    for source, path in (("crm", paths.crm), ("loyalty", paths.loyalty)):
        mapping = RecordMapping.infer(csv_header(path), source, service.normalizer.types)
        ingest_file(service, path, service.record_parser(mapping), console, batch_size=1000)
    service.match(retrain=True)
    return service


@contextmanager
def neo4j_demo(uri: str, folder: Path) -> Iterator[IdentityService]:
    """The population in the Neo4j at `uri`, for the block's duration (the store closed after)."""
    store = Neo4jStore(uri, auth=auth_from_env())
    try:
        yield load_demo(store, folder)
    finally:
        store.close()
