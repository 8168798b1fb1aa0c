"""Flat source records: CRM and loyalty exports, and FEBRL-like person records.

Values are as a clerk or a customer typed them: nicknames, typos, abbreviations, swapped
name fields, missing values (None) and placeholders. Duplicate CRM records share no
identifier with their original (no email, no phone), so only probabilistic matching on
names, birth date and address can find them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date
from random import Random

from identity_graph.devtools.synthetic import _data as data
from identity_graph.devtools.synthetic._rand import digit_typo, email_variant, nickname, typo
from identity_graph.devtools.synthetic.phones import written
from identity_graph.devtools.synthetic.population import Address, Person, Population

Row = dict[str, str | None]
PersonRecord = dict[str, str | int | None]

CRM_COLUMNS = (
    "crm_id", "email", "phone", "first_name", "last_name", "birth_date", "address", "postcode",
    "city",
)  # fmt: skip
LOYALTY_COLUMNS = ("loyalty_id", "email", "phone", "first_name", "last_name", "postcode")
PERSON_RECORD_COLUMNS = (
    "record_id", "given_name", "surname", "date_of_birth", "street_number", "address_1",
    "suburb", "postcode", "state", "phone", "email", "true_person",
)  # fmt: skip

_ABBREVIATIONS = dict(data.STREET_SUFFIXES)


class _Noise:
    """Per-field corruption; `level` scales every error rate (duplicates are messier)."""

    def __init__(self, rng: Random, level: float) -> None:
        self.rng = rng
        self.level = level

    def hit(self, rate: float) -> bool:
        return self.rng.random() < rate * self.level

    def given(self, p: Person, nick_rate: float) -> str:
        name = p.given_name
        if self.hit(nick_rate):
            name = nickname(self.rng, name)
        if self.hit(0.03):
            name = typo(self.rng, name)
        return name

    def surname(self, p: Person) -> str:
        return typo(self.rng, p.surname) if self.hit(0.03) else p.surname

    def names(self, p: Person, nick_rate: float) -> tuple[str, str]:
        first, last = self.given(p, nick_rate), self.surname(p)
        if self.hit(0.02):
            first, last = last, first
        if self.hit(0.02):
            # Legacy systems that upper-case everything.
            first, last = first.upper(), last.upper()
        return first, last

    def email(self, p: Person, missing: float) -> str | None:
        rng = self.rng
        if self.hit(0.02):
            return data.JUNK_EMAILS[int(rng.random() * len(data.JUNK_EMAILS))]
        if not p.emails or rng.random() < missing:
            return None
        email = p.emails[0] if rng.random() < 0.9 else p.emails[-1]
        return email_variant(rng, email) if rng.random() < 0.1 else email

    def phone(self, p: Person, missing: float) -> str | None:
        rng = self.rng
        if self.hit(0.02):
            return data.JUNK_PHONES[int(rng.random() * len(data.JUNK_PHONES))]
        if p.phone is None or p.phone_intl is None or rng.random() < missing:
            return None
        return written(rng, p.phone, p.phone_intl)

    def birth_digits(self, birth: date) -> str | None:
        """YYYYMMDD, possibly with day and month swapped or a digit mistyped."""
        if self.hit(0.04):
            return None
        y, m, d = f"{birth.year:04d}", f"{birth.month:02d}", f"{birth.day:02d}"
        if self.hit(0.03):
            if birth.day <= 12 and birth.day != birth.month:
                return y + d + m
            return digit_typo(self.rng, y) + m + d
        return y + m + d

    def street(self, address: Address) -> str | None:
        if self.hit(0.03):
            return None
        name = address.street_name
        if self.hit(0.1):
            stem, _, suffix = name.rpartition(" ")
            name = f"{stem} {_ABBREVIATIONS.get(suffix, suffix)}"
            if self.rng.random() < 0.3:
                name += "."
        if self.hit(0.04):
            name = typo(self.rng, name)
        return name

    def street_number(self, address: Address) -> str | None:
        if self.hit(0.03):
            return None
        return (
            digit_typo(self.rng, address.street_number)
            if self.hit(0.02)
            else (address.street_number)
        )

    def postcode(self, address: Address) -> str | None:
        if self.hit(0.02):
            return None
        code = address.postcode
        if self.hit(0.01):
            return digit_typo(self.rng, code)
        if code.startswith("0") and self.hit(0.3):
            return code.lstrip("0")  # went through a spreadsheet as a number
        return code

    def city(self, address: Address) -> str | None:
        if self.hit(0.02):
            return None
        if self.hit(0.03):
            return typo(self.rng, address.city)
        return address.city.upper() if self.hit(0.02) else address.city


def iter_crm_records(pop: Population) -> Iterator[Row]:
    """CRM rows (see CRM_COLUMNS). Originals come first in random order, then the duplicate
    records (about 5% of CRM customers), which the CRM created later by mistake."""
    rng = Random(f"{pop.seed}:crm")
    order = [p for p in pop.people if p.crm_ids]
    rng.shuffle(order)
    clean = _Noise(rng, 1.0)
    for p in order:
        yield _crm_row(p, p.crm_ids[0], clean, email_missing=0.08, phone_missing=0.25)
    dupes = [(p, crm_id) for p in order for crm_id in p.crm_ids[1:]]
    rng.shuffle(dupes)
    messy = _Noise(rng, 3.0)
    for p, crm_id in dupes:
        yield _crm_row(p, crm_id, messy, email_missing=1.0, phone_missing=1.0)


def _crm_row(
    p: Person, crm_id: str, noise: _Noise, *, email_missing: float, phone_missing: float
) -> Row:
    first, last = noise.names(p, 0.08)
    birth = noise.birth_digits(p.birth_date)
    street = noise.street(p.address)
    number = noise.street_number(p.address)
    address = None if street is None else f"{number} {street}" if number else street
    email = noise.email(p, email_missing) if email_missing < 1.0 else None
    phone = noise.phone(p, phone_missing) if phone_missing < 1.0 else None
    return {
        "crm_id": crm_id,
        "email": email,
        "phone": phone,
        "first_name": first,
        "last_name": last,
        "birth_date": None if birth is None else f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
        "address": address,
        "postcode": noise.postcode(p.address),
        "city": noise.city(p.address),
    }


def iter_loyalty_records(pop: Population) -> Iterator[Row]:
    """Loyalty-card rows (see LOYALTY_COLUMNS): self-entered at the till, so nicknames are
    common and the email is often left out."""
    rng = Random(f"{pop.seed}:loyalty")
    order = [p for p in pop.people if p.loyalty_id is not None]
    rng.shuffle(order)
    noise = _Noise(rng, 1.0)
    for p in order:
        first, last = noise.names(p, 0.2)
        yield {
            "loyalty_id": p.loyalty_id,
            "email": noise.email(p, 0.2),
            "phone": noise.phone(p, 0.35),
            "first_name": first,
            "last_name": last,
            "postcode": noise.postcode(p.address),
        }


def iter_person_records(
    pop: Population, duplicate_rate: float = 0.3, *, max_duplicates: int = 3
) -> Iterator[PersonRecord]:
    """FEBRL-like records (see PERSON_RECORD_COLUMNS): every person once, clean, plus 1 to
    `max_duplicates` corrupted copies for `duplicate_rate` of the people.

    `true_person` (int, the person index) is the truth: drop it before matching.
    `record_id` is opaque (emission order), unlike FEBRL's, which gives the answer away.
    Duplicates come up to 500 records after their original: no adjacency hint either."""
    if not 0.0 <= duplicate_rate <= 1.0:
        raise ValueError("duplicate_rate must be between 0 and 1")
    rng = Random(f"{pop.seed}:person-records")
    clean = _Noise(rng, 0.0)
    messy = _Noise(rng, 3.0)
    pending: list[tuple[int, int, Person]] = []
    seq = 0
    emitted = 0

    def record(p: Person, noise: _Noise) -> PersonRecord:
        nonlocal emitted
        emitted += 1
        first, last = noise.names(p, 0.06)
        return {
            "record_id": f"rec-{emitted:08d}",
            "given_name": first if not noise.hit(0.02) else None,
            "surname": last,
            "date_of_birth": noise.birth_digits(p.birth_date),
            "street_number": noise.street_number(p.address),
            "address_1": noise.street(p.address),
            "suburb": noise.city(p.address),
            "postcode": noise.postcode(p.address),
            "state": None if noise.hit(0.02) else p.address.state,
            "phone": noise.phone(p, 0.1 + 0.1 * noise.level),
            "email": noise.email(p, 0.1 + 0.1 * noise.level),
            "true_person": p.index,
        }

    for i, p in enumerate(pop.people):
        while pending and pending[0][0] <= i:
            yield record(heapq.heappop(pending)[2], messy)
        yield record(p, clean)
        if rng.random() < duplicate_rate:
            copies = 1 + int(rng.random() ** 2 * max_duplicates)
            for _ in range(min(copies, max_duplicates)):
                seq += 1
                heapq.heappush(pending, (i + 1 + int(rng.random() * 500), seq, p))
    while pending:
        yield record(heapq.heappop(pending)[2], messy)
