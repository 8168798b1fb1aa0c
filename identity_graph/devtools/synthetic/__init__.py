"""Seeded synthetic customer data with exact ground truth, for demos, tests and benchmarks.

    pop = make_population(people=10_000, seed=42)
    for event in iter_events(pop):              # Segment-spec dicts, streamed
        ...
    iter_crm_records(pop), iter_loyalty_records(pop), iter_person_records(pop)
    truth(pop)                                  # "type:normalized_value" -> person (<0: shared)
    pop.relations                               # hard negatives: (kind, person, person)
    write_dataset(pop, "out/")                  # events.jsonl, crm.csv, loyalty.csv, truth.csv

Same seed and parameters give byte-identical output. Only the standard library and
phonenumbers are used; every random draw comes from a `random.Random` seeded from the
population seed (never the global generator).
"""

from identity_graph.devtools.synthetic._data import JUNK_EMAILS, JUNK_PHONES
from identity_graph.devtools.synthetic._rand import ZERO_UUID
from identity_graph.devtools.synthetic.catalog import PRODUCTS, WINDOW_END, WINDOW_START
from identity_graph.devtools.synthetic.events import Event, iter_events
from identity_graph.devtools.synthetic.io import DatasetPaths, write_dataset
from identity_graph.devtools.synthetic.phones import DEFAULT_REGION
from identity_graph.devtools.synthetic.population import (
    RELATION_KINDS,
    Address,
    CallCentreCookie,
    Device,
    Person,
    Population,
    Relation,
    SharedTablet,
    make_population,
)
from identity_graph.devtools.synthetic.records import (
    CRM_COLUMNS,
    DUPLICATE_KINDS,
    LOYALTY_COLUMNS,
    PERSON_RECORD_COLUMNS,
    PersonRecord,
    Row,
    iter_crm_records,
    iter_loyalty_records,
    iter_person_records,
)
from identity_graph.devtools.synthetic.truth import HUB, SHARED, hub_keys, shared_keys, truth

__all__ = [
    "CRM_COLUMNS",
    "DEFAULT_REGION",
    "DUPLICATE_KINDS",
    "HUB",
    "JUNK_EMAILS",
    "JUNK_PHONES",
    "LOYALTY_COLUMNS",
    "PERSON_RECORD_COLUMNS",
    "PRODUCTS",
    "RELATION_KINDS",
    "SHARED",
    "WINDOW_END",
    "WINDOW_START",
    "ZERO_UUID",
    "Address",
    "CallCentreCookie",
    "DatasetPaths",
    "Device",
    "Event",
    "Person",
    "PersonRecord",
    "Population",
    "Relation",
    "Row",
    "SharedTablet",
    "hub_keys",
    "iter_crm_records",
    "iter_events",
    "iter_loyalty_records",
    "iter_person_records",
    "make_population",
    "shared_keys",
    "truth",
    "write_dataset",
]
