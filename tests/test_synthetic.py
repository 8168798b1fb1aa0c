"""The synthetic data generator: determinism, exact truth, Segment shapes, hubs, streaming."""

from __future__ import annotations

import csv
import json
import re
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from identity_graph.devtools.synthetic import (
    CRM_COLUMNS,
    DEFAULT_REGION,
    HUB,
    JUNK_EMAILS,
    JUNK_PHONES,
    LOYALTY_COLUMNS,
    PERSON_RECORD_COLUMNS,
    WINDOW_END,
    WINDOW_START,
    ZERO_UUID,
    Population,
    hub_keys,
    iter_crm_records,
    iter_events,
    iter_loyalty_records,
    iter_person_records,
    make_population,
    truth,
    write_dataset,
)

JUNK = {v.strip().lower() for v in (*JUNK_EMAILS, *JUNK_PHONES)}
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@pytest.fixture(scope="module")
def pop() -> Population:
    return make_population(1_500, seed=7)


@pytest.fixture(scope="module")
def events(pop: Population) -> list[dict[str, Any]]:
    return list(iter_events(pop))


def _phone(raw: str) -> str:
    number = phonenumbers.parse(raw, DEFAULT_REGION)
    assert phonenumbers.is_valid_number(number), raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _key(type_: str, raw: str | None) -> str | None:
    """The normalization the truth keys promise (what identity_graph.ingest.normalize does)."""
    if raw is None or raw.strip().lower() in JUNK:
        return None
    if type_ == "email":
        return f"email:{raw.strip().lower()}"
    if type_ == "phone":
        return f"phone:{_phone(raw)}"
    if type_ == "device_id":
        return None if raw == ZERO_UUID else f"device_id:{raw.upper()}"
    return f"{type_}:{raw}"


def _event_keys(event: dict[str, Any]) -> Iterator[str | None]:
    yield _key("customer_id", event.get("userId"))
    yield _key("cookie", event.get("anonymousId"))
    yield _key("cookie", event.get("previousId"))
    traits = event.get("traits", {})
    yield _key("email", traits.get("email"))
    yield _key("phone", traits.get("phone"))
    context = event.get("context", {})
    device = context.get("device", {})
    yield _key("device_id", device.get("id"))
    yield _key("device_id", device.get("advertisingId"))
    for ext in context.get("externalIds", []):
        yield _key(ext["type"], ext["id"])


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = write_dataset(make_population(200, seed=3), tmp_path / "a")
    b = write_dataset(make_population(200, seed=3), tmp_path / "b")
    c = write_dataset(make_population(200, seed=4), tmp_path / "c")
    for pa, pb, pc in zip(a, b, c, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
        assert pa.read_bytes() != pc.read_bytes(), pa.name
    records = [list(iter_person_records(make_population(200, seed=3))) for _ in range(2)]
    assert records[0] == records[1]


def test_every_truth_key_appears_and_nothing_else(
    pop: Population, events: list[dict[str, Any]]
) -> None:
    seen: set[str | None] = set()
    for event in events:
        seen.update(_event_keys(event))
    for row in iter_crm_records(pop):
        seen.update((_key("crm_id", row["crm_id"]), _key("email", row["email"])))
        seen.add(_key("phone", row["phone"]))
    for row in iter_loyalty_records(pop):
        seen.update((_key("loyalty_id", row["loyalty_id"]), _key("email", row["email"])))
        seen.add(_key("phone", row["phone"]))
    seen.discard(None)
    expected = truth(pop)
    assert set(expected) == seen
    assert Counter(key.partition(":")[0] for key in expected).keys() == {
        "email", "phone", "cookie", "device_id", "customer_id", "crm_id", "loyalty_id"
    }  # fmt: skip


def test_events_are_segment_shapes(events: list[dict[str, Any]]) -> None:
    ids = [e["messageId"] for e in events]
    assert len(set(ids)) == len(ids)
    json.dumps(events)
    types = Counter(e["type"] for e in events)
    assert set(types) == {"identify", "track", "page", "screen", "alias"}
    names = Counter(e["event"] for e in events if e["type"] == "track")
    assert set(names) == {
        "Order Completed", "Product Viewed", "Promotion Viewed", "Case Opened", "Case Closed"
    }  # fmt: skip
    previous = WINDOW_START
    backwards = 0
    for e in events:
        at = datetime.fromisoformat(e["timestamp"])
        assert e["timestamp"].endswith("Z") and WINDOW_START <= at < WINDOW_END
        backwards += at < previous
        previous = at
        assert e.get("userId") or e.get("anonymousId")
        if e["type"] == "alias":
            assert e["previousId"] and e["userId"]
        if e["type"] == "identify":
            assert set(e["traits"]) <= {"email", "phone", "firstName", "lastName"}
        if e["type"] in ("page", "screen"):
            assert e["name"]
        device = e.get("context", {}).get("device")
        if device is not None:
            assert UUID.match(device["id"])
        for ext in e.get("context", {}).get("externalIds", []):
            assert ext["type"] == "loyalty_id"
            assert ext["collection"] == "users" and ext["encoding"] == "none"
    assert backwards < len(events) * 0.01
    assert 7 * 1_500 < len(events) < 13 * 1_500  # about ten per person


def test_activity_properties(events: list[dict[str, Any]]) -> None:
    opened: set[str] = set()
    closed: set[str] = set()
    exposures: Counter[tuple[str, str]] = Counter()
    for e in events:
        props = e.get("properties", {})
        match e.get("event"):
            case "Order Completed":
                assert props["order_id"] and props["products"]
                total = sum(p["price"] * p["quantity"] for p in props["products"])
                assert props["revenue"] == pytest.approx(total)
                assert all(p["product_id"] and p["quantity"] >= 1 for p in props["products"])
            case "Product Viewed":
                assert props["product_id"]
            case "Promotion Viewed":
                exposures[(e.get("userId") or e["anonymousId"], props["campaign_id"])] += 1
            case "Case Opened":
                opened.add(props["case_id"])
            case "Case Closed":
                assert props["case_id"] in opened
                closed.add(props["case_id"])
    assert closed and opened - closed  # some complaints stay open
    assert max(exposures.values()) >= 2  # campaigns are seen several times


def test_phones_are_valid_and_mostly_us(pop: Population, events: list[dict[str, Any]]) -> None:
    phones = [p.phone for p in pop.people if p.phone is not None]
    assert 0.5 < len(phones) / len(pop) < 0.7
    assert len(set(phones)) == len(phones)
    for phone in phones:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    assert sum(p.startswith("+1") for p in phones) / len(phones) > 0.85
    # Spouses' landlines: valid, nobody's own number, each shared by exactly two people.
    landlines = Counter(p.shared_phone for p in pop.people if p.shared_phone is not None)
    assert landlines and set(landlines.values()) == {2} and not set(landlines) & set(phones)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(n)) for n in landlines)
    by_e164 = {p.phone for p in pop.people} | set(landlines)
    written = [e["traits"]["phone"] for e in events if "phone" in e.get("traits", {})]
    written += [r["phone"] for r in iter_crm_records(pop) if r["phone"]]
    written = [w for w in written if w.strip().lower() not in JUNK]
    assert len({w for w in written if not w.startswith("+")}) > 50  # national formats
    assert any(w.startswith("+1 ") for w in written)  # international with spaces
    for w in written:
        assert _phone(w) in by_e164


def test_emails_vary_but_normalize(pop: Population, events: list[dict[str, Any]]) -> None:
    canonical = {e for p in pop.people for e in (*p.emails, p.shared_email) if e}
    raw = [e["traits"]["email"] for e in events if "email" in e.get("traits", {})]
    real = [r for r in raw if r.strip().lower() not in JUNK]
    assert all(r.strip().lower() in canonical for r in real)
    assert sum(r != r.strip().lower() for r in real) > 0.05 * len(real)
    assert any(r != r.strip() for r in real) and any(r != r.lower() for r in real)
    assert len(raw) > len(real)  # junk placeholders are there too


def test_population_shape(pop: Population) -> None:
    people = pop.people
    n = len(people)
    assert [p.index for p in people] == list(range(n))
    assert 0.65 < sum(p.customer_id is not None for p in people) / n < 0.75
    assert 0.55 < sum(bool(p.crm_ids) for p in people) / n < 0.65
    assert 0.35 < sum(p.loyalty_id is not None for p in people) / n < 0.45
    assert {len(p.cookies) for p in people} == {1, 2, 3, 4}
    assert {len(p.devices) for p in people} == {0, 1, 2}
    assert {len(p.emails) for p in people} == {0, 1, 2}
    ads = [d.advertising_id for p in people for d in p.devices if d.advertising_id]
    assert 0.05 < ads.count(ZERO_UUID) / len(ads) < 0.16
    surnames = Counter(p.surname for p in people)
    assert len(surnames) > 250  # many rare surnames...
    assert surnames.most_common(1)[0][1] > 10  # ...and some common ones
    for p in people:
        assert p.address.postcode.isdigit() and len(p.address.postcode) == 5
        assert 1936 <= p.birth_date.year <= 2007


def test_hubs_are_shared_and_marked(pop: Population, events: list[dict[str, Any]]) -> None:
    hubs = hub_keys(pop)
    expected = truth(pop)
    assert hubs and all(expected[key] == HUB for key in hubs)
    assert sum(v == HUB for v in expected.values()) == len(hubs)
    users_by_key: defaultdict[str, set[str]] = defaultdict(set)
    for e in events:
        if "userId" in e:
            for key in _event_keys(e):
                if key in hubs:
                    users_by_key[key].add(e["userId"])
    assert 1 <= len(pop.call_centre) <= 3
    for agent in pop.call_centre:
        assert len(agent.customers) >= 50
        assert len(users_by_key[f"cookie:{agent.cookie}"]) == len(agent.customers)
    assert pop.tablets
    for tablet in pop.tablets:
        members = [pop.people[i] for i in tablet.members]
        assert 2 <= len(members) <= 4
        assert len({m.household for m in members}) == 1
        assert len({m.address for m in members}) == 1
        assert len(users_by_key[f"device_id:{tablet.device.device_id.upper()}"]) == len(members)


def test_crm_duplicates(pop: Population) -> None:
    big = make_population(4_000, seed=11)
    rows = list(iter_crm_records(big))
    assert tuple(rows[0]) == CRM_COLUMNS
    owner = truth(big)
    per_person = Counter(owner[f"crm_id:{r['crm_id']}"] for r in rows)
    duplicated = sum(c > 1 for c in per_person.values())
    assert 0.03 < duplicated / len(per_person) < 0.07
    dupe_ids = {crm_id for p in big.people for crm_id in p.crm_ids[1:]}
    for row in rows:
        if row["crm_id"] in dupe_ids:
            assert row["email"] is None and row["phone"] is None
    assert len({r["crm_id"] for r in rows}) == len(rows)
    # Realistic noise: nicknames or typos in names, missing values.
    clean = {p.given_name for p in big.people}
    assert sum(r["first_name"] not in clean for r in rows) > 0.03 * len(rows)
    assert any(r["birth_date"] is None for r in rows)
    assert all(
        r["birth_date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["birth_date"]) for r in rows
    )
    loyalty = list(iter_loyalty_records(pop))
    assert tuple(loyalty[0]) == LOYALTY_COLUMNS
    assert len(loyalty) == sum(p.loyalty_id is not None for p in pop.people)


def test_person_records(pop: Population) -> None:
    records = list(iter_person_records(pop, duplicate_rate=0.3))
    assert tuple(records[0]) == PERSON_RECORD_COLUMNS
    assert len({r["record_id"] for r in records}) == len(records)
    copies = Counter(r["true_person"] for r in records)
    assert set(copies) == set(range(len(pop)))
    assert 0.25 < sum(c > 1 for c in copies.values()) / len(pop) < 0.35
    for r in records:
        dob = r["date_of_birth"]
        assert dob is None or (isinstance(dob, str) and re.fullmatch(r"\d{8}", dob))
    assert len(list(iter_person_records(pop, duplicate_rate=0.0))) == len(pop)


def test_event_budget_is_exact_and_extends_the_population() -> None:
    small = make_population(100, seed=1)
    natural = sum(1 for _ in iter_events(small))
    for budget in (None, 10 * natural, natural // 2):
        stream = list(iter_events(small, budget))
        assert len(stream) == (natural if budget is None else budget)
        # The session count estimated from the budget fills the whole window.
        assert stream[-1]["timestamp"] >= "2026-09-15"
    assert list(iter_events(small, 0)) == []
    with pytest.raises(ValueError):
        iter_events(small, -1)


def test_events_stream_without_a_list() -> None:
    small = make_population(2_000, seed=5)
    stream = iter_events(small, 200_000)
    assert iter(stream) is stream and not isinstance(stream, list | tuple)
    assert sum(1 for _ in stream) == 200_000
    # tracemalloc slows allocation several-fold: trace a slice of an equally large budget.
    tracemalloc.start()
    try:
        for _ in islice(iter_events(small, 200_000), 20_000):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 20k event dicts alone would take over 20 MB; the stream holds one session at a time.
    assert peak < 3_000_000, peak


def test_write_dataset(tmp_path: Path, pop: Population) -> None:
    paths = write_dataset(pop, tmp_path, n_events=2_000)
    with paths.events.open(encoding="utf-8") as f:
        assert sum(1 for line in f if json.loads(line)["messageId"]) == 2_000
    with paths.truth.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(truth(pop))
    assert {int(r["person"]) for r in rows} >= {HUB, 0}
    with paths.crm.open(encoding="utf-8", newline="") as f:
        assert tuple(next(csv.reader(f))) == CRM_COLUMNS
    with paths.loyalty.open(encoding="utf-8", newline="") as f:
        assert tuple(next(csv.reader(f))) == LOYALTY_COLUMNS
