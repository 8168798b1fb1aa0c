"""A person to erase (Anna) and one to keep (Bob), with every kind of data a person leaves:
identifiers of several types, a merged-away old person ID, links, a CRM record with names,
activity, consent, a review pair and its decision in the audit trail, a refused merge, and
export-ledger rows. `RAW` lists Anna's values as they could appear anywhere (raw and
normalized): the erasure tests look for each of them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from identity_graph.ids import IdentifierKey, PersonId, ordered_pair
from identity_graph.ingest.readers import csv_header, read_items
from identity_graph.ingest.records import RecordMapping
from identity_graph.review.decisions import pair_id
from identity_graph.service.identity import IdentityService
from identity_graph.stores.rows import (
    ChangeSet,
    DestinationRow,
    LedgerRow,
    RefusedMergeRow,
    ReviewRow,
)
from tests.helpers import event, login, person_of

AT = "2025-03-01T00:00:00.000000Z"
# Values no other data of the tests holds by chance (long, odd).
ANNA_USER = "u-anna-77310"
ANNA_COOKIE = "ck-anna-55219"
ANNA_OLD_COOKIE = "ck-anna-old-90127"
ANNA_EMAIL = "anneliese.zwierzynska@example.org"
ANNA_PHONE = "+48601234567"
ANNA_CRM = "CRM-ANNA-4410"
ANNA_GIVEN = "Anneliese"
ANNA_FAMILY = "Zwierzynska"
ANNA_STREET = "Ulica Kwiatowa 17"
RAW = (
    ANNA_USER,
    ANNA_COOKIE,
    ANNA_OLD_COOKIE,
    ANNA_EMAIL,
    ANNA_PHONE,
    ANNA_CRM,
    ANNA_GIVEN,
    ANNA_FAMILY,
    ANNA_STREET,
)
BOB_EMAIL = "bob.keeper@example.net"
BOB_CRM = "CRM-BOB-2201"


@dataclass
class Seeded:
    anna: str  # Anna's current person ID
    anna_old: str  # an ID merged into Anna's person
    bob: str
    anna_keys: list[str]


def seed(service: IdentityService, tmp_path: Path) -> Seeded:
    # Two persons of Anna, merged by the third event: one ID becomes an old, merged one.
    # (the smaller one, the lone cookie, loses its ID).
    service.ingest_events(
        [
            event("page", anonymousId=ANNA_OLD_COOKIE, ts="2025-02-01T00:00:00Z"),
            login(ANNA_USER, ANNA_COOKIE, email=ANNA_EMAIL, phone="+48 601 234 567"),
        ]
    )
    old = person_of(service, f"cookie:{ANNA_OLD_COOKIE}")
    service.ingest_events(
        [
            login(ANNA_USER, ANNA_OLD_COOKIE),
            event(
                "track",
                userId=ANNA_USER,
                event="Order Completed",
                properties={"products": [{"product_id": "p1", "price": 9.5, "quantity": 1}]},
            ),
            _consent(ANNA_USER, granted=True),
            login("u-bob-1", "ck-bob-1", email=BOB_EMAIL),
        ]
    )
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "crm_id,email,first_name,last_name,street\n"
        f"{ANNA_CRM},{ANNA_EMAIL},{ANNA_GIVEN},{ANNA_FAMILY},{ANNA_STREET}\n"
        f"{BOB_CRM},{BOB_EMAIL},Bob,Keeper,Main Street 1\n",
        encoding="utf-8",
    )
    mapping = RecordMapping.infer(csv_header(crm), "crm", service.normalizer.types)
    service.ingest_stream(read_items(crm), service.record_parser(mapping))
    anna = person_of(service, f"email:{ANNA_EMAIL.lower()}")
    bob = person_of(service, f"email:{BOB_EMAIL}")
    a_crm, b_crm = IdentifierKey(f"crm_id:{ANNA_CRM}"), IdentifierKey(f"crm_id:{BOB_CRM}")
    pair = ordered_pair(a_crm, b_crm)
    values = {"a": {"given_name": ANNA_GIVEN}, "b": {"given_name": "Bob"}}
    with service.store.unit_of_work() as tx:
        tx.apply(
            ChangeSet(
                at=AT,
                reviews=[
                    ReviewRow(*pair, 0.93, json.dumps({"values": values}), "f", "pending", AT)
                ],
                refused_merges=[
                    RefusedMergeRow(
                        IdentifierKey(f"cookie:{ANNA_COOKIE}"),
                        IdentifierKey("cookie:ck-bob-1"),
                        PersonId(anna),
                        PersonId(bob),
                        "max",
                        "x",
                        AT,
                    )
                ],
                destinations=[DestinationRow("ads", "meta", "buyers", AT, gen=1)],
                ledger_seen=[_ledger(anna, ANNA_EMAIL, 1), _ledger(bob, BOB_EMAIL, 1)],
                ledger_commits=[("ads", 1)],
            )
        )
        # ... and one row staged by a generation not committed yet (never sent).
        tx.apply(ChangeSet(at=AT, ledger_seen=[_ledger(anna, ANNA_PHONE, 2)]))
    # A steward's decision about Anna's record: the audit trail names her key (in the old,
    # opaque pair-ID subject and in the comment).
    service.decide(pair_id(*pair), "reject", "steward:eva", f"not {a_crm}")
    with service.store.reader() as r:
        keys: list[str] = [i.key for i in r.members([PersonId(anna)])[PersonId(anna)]]
    return Seeded(anna=anna, anna_old=old, bob=bob, anna_keys=keys)


def _ledger(person_id: str, email: str, gen: int) -> LedgerRow:
    # Platforms take hashed values: the ledger row's cells, as an export stages them (a
    # made-up platform of the tests; the API tests export to a real one).
    cells = [hashlib.sha256(f"ads:{email}".encode()).hexdigest()]
    digest = hashlib.sha256("\x1f".join(cells).encode()).hexdigest()
    return LedgerRow("ads", digest, json.dumps(cells), PersonId(person_id), gen)


def _consent(user: str, *, granted: bool) -> dict[str, object]:
    ev = event("identify", userId=user)
    ev["context"] = {"consent": {"categoryPreferences": {"Advertising": granted}}}
    return ev


def found_in(text: str) -> list[str]:
    """Anna's raw values found in a text (case-insensitive)."""
    low = text.lower()
    return [v for v in RAW if v.lower() in low]
