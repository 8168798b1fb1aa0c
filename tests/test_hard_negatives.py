"""Hard negatives stay apart at the merge threshold while true duplicates merge (issue 10).

Hard negatives are different people whose records look alike (`Population.relations`):
twins, a parent and a child named after them, spouses giving out one landline or family
mailbox, namesakes in one town. True duplicates are person records of one person with
typos, swapped names, a later address or a later email (`DUPLICATE_KINDS`). The generator
tests check the data has them at scale; the matching tests score person records with the
default settings; the store test ingests CRM and loyalty records and matches them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

from identity_graph.config import Settings
from identity_graph.devtools import synthetic
from identity_graph.devtools.synthetic import (
    DUPLICATE_KINDS,
    PERSON_RECORD_COLUMNS,
    RELATION_KINDS,
    SHARED,
    PersonRecord,
    Population,
    hub_keys,
    iter_crm_records,
    iter_loyalty_records,
    iter_person_records,
    make_population,
    shared_keys,
    truth,
)
from identity_graph.errors import InvalidValue
from identity_graph.ids import identifier_key
from identity_graph.ingest.normalize import Normalizer
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.matching import (
    RecordTable,
    ScoredPairs,
    Standardizer,
    default_settings,
    fit_predict,
)
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import all_assignments

MERGE = 0.96
# Measured on the records below (recall at 0.96) with the matcher that conditions every
# household field but the first name on the address and knows nicknames: typos 0.980,
# swapped names 0.930, new email 0.942, moved house 0.891, all pairs 0.946. The bounds sit
# a little under, so that a matcher
# keeping hard negatives apart by losing more true duplicates fails here. (The matcher
# before it reached 0.956 overall by merging 102 of 160 twin pairs: the duplicates it
# now leaves below 0.96 look like relatives - different names at one address.)
RECALL_AT_LEAST = {
    "typos": 0.97,
    "swapped_names": 0.91,
    "new_email": 0.92,
    "moved_house": 0.87,
    "all": 0.935,
}
# At 0.96 a calibrated matcher may be wrong on up to 4% of the pairs it merges; hard
# negatives must do far better: at most 1% of each kind's pairs (measured: twins 0 of
# 160, parent and child 0 of 142, spouses 1 of 283, namesakes 1 of 178).
HARD_NEGATIVES_AT_MOST = 0.01
# Through the store (CRM and loyalty rows, fewer fields): see the test's docstring.
STORE_AT_MOST = 0.2


@pytest.fixture(scope="module")
def pop() -> Population:
    return make_population(6_000, seed=1)


# -- the generator ----------------------------------------------------------------------


def test_same_seed_same_hard_negatives() -> None:
    a, b, c = (make_population(1_500, seed=s) for s in (3, 3, 4))
    assert a.relations == b.relations and a.people == b.people
    assert a.relations != c.relations
    assert len(repr(a)) < 120


def test_each_kind_at_scale() -> None:
    pop = make_population(10_000, seed=42)
    kinds = Counter(r.kind for r in pop.relations)
    assert set(kinds) == set(RELATION_KINDS)
    for kind in RELATION_KINDS:
        # Enough to measure, rare enough to be a customer base (under 2.5% of people).
        assert 100 <= kinds[kind] <= 250, kind
    people = pop.people
    phones = sum(p.shared_phone is not None for p in people)
    emails = sum(p.shared_email is not None for p in people)
    assert phones + emails == 2 * kinds["spouses"] and phones >= 100 and emails >= 100
    assert 0.07 < sum(p.new_address is not None for p in people) / len(people) < 0.13
    assert 0.06 < sum(p.new_email is not None for p in people) / len(people) < 0.10


def test_relations_have_their_properties(pop: Population) -> None:
    assert len(set(pop.relations)) == len(pop.relations)
    for kind, ia, ib in pop.relations:
        assert ia < ib
        a, b = pop.people[ia], pop.people[ib]
        names_equal = (a.given_name, a.surname) == (b.given_name, b.surname)
        if kind == "twins":
            assert a.given_name != b.given_name
            assert (a.surname, a.birth_date, a.address) == (b.surname, b.birth_date, b.address)
        elif kind == "parent_child":
            assert names_equal and a.address == b.address
            years = abs(a.birth_date - b.birth_date).days / 365.25
            assert 20 <= years <= 40
        elif kind == "spouses":
            assert a.address == b.address and a.household == b.household
            assert not names_equal and a.birth_date != b.birth_date
            shared = {(a.shared_phone, a.shared_email)} | {(b.shared_phone, b.shared_email)}
            assert len(shared) == 1 and shared != {(None, None)}
            # The holder gives the shared one as their only phone or email.
            if a.shared_phone is not None:
                assert a.phone is None or b.phone is None
            else:
                assert not a.emails or not b.emails
        else:
            assert kind == "namesakes" and names_equal
            assert (a.address.city, a.address.state) == (b.address.city, b.address.state)
            assert a.birth_date != b.birth_date and a.address != b.address
    # The planted namesakes come from common names, and some share the ZIP too.
    namesakes = [r for r in pop.relations if r.kind == "namesakes"]
    zips = sum(
        pop.people[r.a].address.postcode == pop.people[r.b].address.postcode for r in namesakes
    )
    assert 0.2 < zips / len(namesakes) < 0.8


def test_shared_phones_and_emails_are_marked_and_in_records(pop: Population) -> None:
    spouses = [r for r in pop.relations if r.kind == "spouses"]
    expected = truth(pop)
    keys: dict[str, tuple[int, int]] = {}
    for r in spouses:
        p = pop.people[r.a]
        if p.shared_phone is not None:
            keys[identifier_key("phone", p.shared_phone)] = (r.a, r.b)
        else:
            keys[identifier_key("email", p.shared_email or "")] = (r.a, r.b)
    # Evaluation keeps them out of everyone: no person owns a shared value, and they are
    # no hubs (the tablets' and call-centre cookies' count stays what hub detection finds).
    assert set(keys) == shared_keys(pop) and not set(keys) & hub_keys(pop)
    assert {expected[k] for k in keys} == {SHARED}
    assert sum(v == SHARED for v in expected.values()) == len(keys)
    # Both spouses give it out in CRM and loyalty records, and nobody else does.
    record_owner = {p.crm_ids[0]: p.index for p in pop.people if p.crm_ids}
    record_owner.update({p.loyalty_id: p.index for p in pop.people if p.loyalty_id})
    givers: defaultdict[str, set[int]] = defaultdict(set)
    for row in [*iter_crm_records(pop), *iter_loyalty_records(pop)]:
        owner = record_owner.get(row.get("crm_id") or row.get("loyalty_id") or "")
        for type_ in ("phone", "email"):
            key = _key(type_, row[type_])
            if key in keys and owner is not None:
                givers[key].add(owner)
    assert all(givers[k] <= set(pair) for k, pair in keys.items())
    assert sum(givers[k] == set(pair) for k, pair in keys.items()) >= 0.1 * len(keys)


_NORMALIZER = Normalizer(Settings())


def _key(type_: str, raw: str | None) -> str | None:
    try:
        value = _NORMALIZER.normalize(type_, raw)
    except InvalidValue:  # a placeholder the settings do not list
        return None
    return None if value is None else identifier_key(type_, value)


def test_without_hard_negatives_only_chance_namesakes() -> None:
    pop = make_population(3_000, seed=2, hard_negatives=False)
    assert {r.kind for r in pop.relations} <= {"namesakes"}
    assert not any(
        p.shared_phone or p.shared_email or p.new_address or p.new_email for p in pop.people
    )


def test_duplicate_kinds(pop: Population) -> None:
    labelled = list(iter_person_records(pop, 0.3, duplicate_kinds=True))
    plain = list(iter_person_records(pop, 0.3))
    assert [{k: v for k, v in r.items() if k != "duplicate_kind"} for r in labelled] == plain
    assert tuple(plain[0]) == PERSON_RECORD_COLUMNS
    kinds = Counter(r["duplicate_kind"] for r in labelled)
    assert kinds[None] == len(pop)
    duplicates = len(labelled) - len(pop)
    for kind in DUPLICATE_KINDS:
        assert kinds[kind] > 0.03 * duplicates, kind
    for r in labelled:
        p = pop.people[int(r["true_person"])]  # type: ignore[arg-type]
        if r["duplicate_kind"] == "moved_house":
            assert p.new_address is not None and r["state"] in (p.new_address.state, None)
        elif r["duplicate_kind"] == "new_email":
            assert r["email"] == p.new_email and p.new_email not in p.emails
        elif r["duplicate_kind"] is None:
            assert r["postcode"] == p.address.postcode
    # CRM duplicates of people who moved are mostly at the new address.
    moved = [p for p in pop.people if p.new_address is not None and len(p.crm_ids) > 1]
    rows = {r["crm_id"]: r for r in iter_crm_records(pop)}
    assert moved
    at_new = sum(
        rows[p.crm_ids[1]]["city"] in (p.new_address.city, None)  # type: ignore[union-attr]
        and rows[p.crm_ids[1]]["postcode"] != p.address.postcode
        for p in moved
    )
    assert at_new >= 0.5 * len(moved)


# -- matching person records ------------------------------------------------------------


@dataclass
class Scored:
    pop: Population
    rows: list[PersonRecord]
    scored: ScoredPairs
    position: dict[tuple[int, int], int]  # (smaller row, larger row) -> index in scored
    by_person: dict[int, list[int]]  # rows of each person, the original first

    def probability(self, a: int, b: int) -> float:
        i = self.position.get((min(a, b), max(a, b)))
        return 0.0 if i is None else float(self.scored.probability[i])

    def explain(self, a: int, b: int) -> str:
        """Comparison levels and weights (no field values): the waterfall of one pair."""
        pair = self.scored[self.position[(min(a, b), max(a, b))]]
        steps = ", ".join(f"{step} {w:+.1f}" for step, w, _ in pair.waterfall())
        return f"p={pair.probability:.4f}: {steps}"


@pytest.fixture(scope="module")
def scored(pop: Population) -> Scored:
    rows = list(iter_person_records(pop, 0.3, duplicate_kinds=True))
    fields = [c for c in PERSON_RECORD_COLUMNS if c not in ("record_id", "true_person")]
    table = RecordTable.from_columns(
        [r["record_id"] for r in rows],
        {f: [r[f] for r in rows] for f in fields},  # no true_person, no duplicate_kind
        standardizer=Standardizer(invalid_dates="null"),
    )
    _, pairs = fit_predict(table, default_settings())
    position = {
        (min(a, b), max(a, b)): i
        for i, (a, b) in enumerate(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    }
    by_person: defaultdict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_person[int(r["true_person"])].append(i)  # type: ignore[arg-type]
    return Scored(pop, rows, pairs, position, dict(by_person))


def _told_apart(kind: str, a: PersonRecord, b: PersonRecord) -> bool:
    """Whether the two records hold what tells the two people apart. Without it (a junior's
    record with no birth date: one name at one address) the pair looks like a duplicate
    with a missing value, and scoring it as one is right."""

    def both(field: str) -> bool:
        return a.get(field) is not None and b.get(field) is not None

    if kind == "twins":
        return both("given_name")
    if kind == "parent_child":
        return both("date_of_birth")
    if kind == "spouses":
        return both("given_name") or both("date_of_birth")
    return both("date_of_birth") or both("address_1")


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_hard_negatives_stay_apart(scored: Scored, kind: str) -> None:
    pairs = [
        (ra, rb)
        for r in scored.pop.relations
        if r.kind == kind
        for ra in scored.by_person[r.a]
        for rb in scored.by_person[r.b]
        if _told_apart(kind, scored.rows[ra], scored.rows[rb])
    ]
    assert len(pairs) >= 100, "too few pairs to measure"
    merged = [(a, b) for a, b in pairs if scored.probability(a, b) >= MERGE]
    shown = "\n".join(scored.explain(a, b) for a, b in merged[:5])
    assert len(merged) <= HARD_NEGATIVES_AT_MOST * len(pairs), (
        f"{kind}: {len(merged)} of {len(pairs)} record pairs >= {MERGE}\n{shown}"
    )


@pytest.mark.parametrize("kind", [*DUPLICATE_KINDS, "all"])
def test_true_duplicates_merge(scored: Scored, kind: str) -> None:
    pairs = []
    for rows in scored.by_person.values():
        if kind == "all":
            pairs += [(a, b) for i, a in enumerate(rows) for b in rows[i + 1 :]]
        else:
            # Each duplicate against the person's original (clean) record.
            pairs += [(rows[0], d) for d in rows[1:] if scored.rows[d]["duplicate_kind"] == kind]
    assert len(pairs) >= 100, "too few pairs to measure"
    found = sum(scored.probability(a, b) >= MERGE for a, b in pairs)
    recall = found / len(pairs)
    assert recall >= RECALL_AT_LEAST[kind], f"{kind}: recall {recall:.3f} ({found}/{len(pairs)})"


# -- through the store ------------------------------------------------------------------


@dataclass
class Resolved:
    pop: Population
    persons: dict[int, set[str]]  # true person -> the persons their identifiers are in
    # true person -> its identifiers' components over deterministic links alone
    deterministic: dict[int, set[frozenset[str]]]
    # (true person, true person) -> the records' values of each probabilistic link
    # joining a record of one to a record of the other
    matched: dict[tuple[int, int], list[tuple[PersonRecord, PersonRecord]]]


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Resolved:
    """CRM and loyalty records of 3,000 people ingested and matched."""
    tmp: Path = tmp_path_factory.mktemp("hard-negatives")
    pop = make_population(3_000, seed=1)
    paths = synthetic.write_dataset(pop, tmp / "data", n_events=0)
    service = IdentityService(SQLiteStore(f"sqlite:///{tmp / 'graph.db'}"), Settings())
    try:
        for path, source in ((paths.crm, "crm"), (paths.loyalty, "loyalty")):
            mapping = RecordMapping.infer(csv_header(path), source, service.normalizer.types)
            service.ingest_stream(read_items(path), service.record_parser(mapping))
        service.match(retrain=True)
        assignments = all_assignments(service.store)
        with service.store.reader() as r:
            links = r.person_links(sorted(set(assignments.values())))
    finally:
        service.store.close()
    graph = nx.Graph()
    graph.add_nodes_from(assignments)
    graph.add_edges_from(
        (lk.a, lk.b) for lk in links if lk.kind != "probabilistic" and lk.status == "active"
    )
    component = {k: frozenset(c) for c in nx.connected_components(graph) for k in c}
    owner = truth(pop)
    matched: defaultdict[tuple[int, int], list[tuple[PersonRecord, PersonRecord]]]
    matched = defaultdict(list)
    for lk in links:
        ta, tb = owner.get(lk.a, -1), owner.get(lk.b, -1)
        if lk.kind == "probabilistic" and lk.status == "active" and ta >= 0 and tb >= 0:
            values = json.loads(lk.evidence)["values"]
            matched[(min(ta, tb), max(ta, tb))].append((values["a"], values["b"]))
    persons: defaultdict[int, set[str]] = defaultdict(set)
    deterministic: defaultdict[int, set[frozenset[str]]] = defaultdict(set)
    for key, person_id in assignments.items():
        true = owner.get(key)
        if true is not None and true >= 0:  # hubs and shared values are no one's
            persons[true].add(person_id)
            deterministic[true].add(component[key])
    return Resolved(pop, dict(persons), dict(deterministic), dict(matched))


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_matching_keeps_hard_negatives_in_different_persons(resolved: Resolved, kind: str) -> None:
    """Few related pairs end in one person through a probabilistic match of two records
    that hold what tells the two people apart (as in test_hard_negatives_stay_apart: a
    loyalty card with a name and a postcode cannot tell a father from his son, and
    matching it to either is right). Measured: spouses 0 and namesakes 0 of a dozen or
    more each; twins 3 of 22 and parent and child 3 of 18 - CRM rows of which one has no
    street address (the household model, u given the address, cannot apply and the
    shared postcode counts in full), and juniors, whose shared first name is not
    conditioned on the address (see DEFAULT_COMPARISONS). A gap, bounded here so that it
    cannot grow.

    A family mailbox or landline on a spouse's loyalty card and the other's CRM row is one
    identifier on both: deterministic stitching joins them, which only the crm_id limit
    stops when both are CRM customers - counted in the message, not asserted; see the
    README."""
    pairs = [
        r
        for r in resolved.pop.relations
        if r.kind == kind and r.a in resolved.persons and r.b in resolved.persons
    ]
    assert len(pairs) >= 10
    together = [r for r in pairs if resolved.persons[r.a] & resolved.persons[r.b]]
    by_matching = [
        r for r in together if not resolved.deterministic[r.a] & resolved.deterministic[r.b]
    ]
    told_apart = [
        r
        for r in by_matching
        if any(_told_apart(kind, a, b) for a, b in resolved.matched.get((r.a, r.b), []))
    ]
    assert len(told_apart) <= STORE_AT_MOST * len(pairs), (
        f"{kind}: {len(told_apart)} of {len(pairs)} pairs in one person through a match of "
        f"records that tell them apart ({len(by_matching)} through matching, "
        f"{len(together)} in one person in all)"
    )
