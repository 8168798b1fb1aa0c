"""Flat source records: CRM and loyalty exports, and FEBRL-like person records.

Values are as a clerk or a customer typed them: nicknames, typos, abbreviations, swapped
name fields, missing values (None) and placeholders. Duplicate CRM records share no
identifier with their original (no email, no phone), so only probabilistic matching on
names, birth date and address can find them; those of people who moved house mostly carry
the new address. Spouses give out their shared landline or family mailbox here too.
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
# What makes a duplicate person record differ from its person, first that applies: a later
# address, a later email, given name and surname swapped, else the general noise (typos,
# nicknames, abbreviations, dropped values), which the first three carry too.
DUPLICATE_KINDS = ("moved_house", "new_email", "swapped_names", "typos")
# A person who moved has the new address on this share of their duplicates; one with a new
# email, on this share of the others.
_MOVED_SHARE = 0.7
_NEW_EMAIL_SHARE = 0.7

_ABBREVIATIONS = dict(data.STREET_SUFFIXES)


class _Noise:
    """Per-field corruption; `level` scales every error rate (duplicates are messier)."""

    def __init__(self, rng: Random, level: float) -> None:
        self.rng = rng
        self.level = level
        self.swapped = False  # whether the last `names` swapped given name and surname

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
        self.swapped = self.hit(0.02)
        if self.swapped:
            first, last = last, first
        if self.hit(0.02):
            # Legacy systems that upper-case everything.
            first, last = first.upper(), last.upper()
        return first, last

    def email(self, p: Person, missing: float) -> str | None:
        rng = self.rng
        if self.hit(0.02):
            return data.JUNK_EMAILS[int(rng.random() * len(data.JUNK_EMAILS))]
        if (not p.emails and p.shared_email is None) or rng.random() < missing:
            return None
        if p.shared_email is not None and (not p.emails or rng.random() < 0.5):
            email = p.shared_email
        else:
            email = p.emails[0] if rng.random() < 0.9 else p.emails[-1]
        return email_variant(rng, email) if rng.random() < 0.1 else email

    def phone(self, p: Person, missing: float) -> str | None:
        rng = self.rng
        if self.hit(0.02):
            return data.JUNK_PHONES[int(rng.random() * len(data.JUNK_PHONES))]
        if (p.phone is None and p.shared_phone is None) or rng.random() < missing:
            return None
        shared, shared_intl = p.shared_phone, p.shared_phone_intl
        if (
            shared is not None
            and shared_intl is not None
            and (p.phone is None or rng.random() < 0.5)
        ):
            return written(rng, shared, shared_intl)
        if p.phone is None or p.phone_intl is None:
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
        # The customer moved and, in the new branch, was entered again.
        home = _later_address(rng, p)
        yield _crm_row(p, crm_id, messy, home, email_missing=1.0, phone_missing=1.0)


def _later_address(rng: Random, p: Person) -> Address:
    """The address on a duplicate record: mostly the new one of a person who moved."""
    if p.new_address is not None and rng.random() < _MOVED_SHARE:
        return p.new_address
    return p.address


def _crm_row(
    p: Person,
    crm_id: str,
    noise: _Noise,
    home: Address | None = None,
    *,
    email_missing: float,
    phone_missing: float,
) -> Row:
    home = p.address if home is None else home
    first, last = noise.names(p, 0.08)
    birth = noise.birth_digits(p.birth_date)
    street = noise.street(home)
    number = noise.street_number(home)
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
        "postcode": noise.postcode(home),
        "city": noise.city(home),
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
    pop: Population,
    duplicate_rate: float = 0.3,
    *,
    max_duplicates: int = 3,
    duplicate_kinds: bool = False,
) -> Iterator[PersonRecord]:
    """FEBRL-like records (see PERSON_RECORD_COLUMNS): every person once, clean, plus 1 to
    `max_duplicates` corrupted copies for `duplicate_rate` of the people.

    `true_person` (int, the person index) is the truth: drop it before matching.
    `record_id` is opaque (emission order), unlike FEBRL's, which gives the answer away.
    Duplicates come up to 500 records after their original: no adjacency hint either.
    With `duplicate_kinds`, each record also has a `duplicate_kind` (truth too, not in
    PERSON_RECORD_COLUMNS): None for the original, else one of DUPLICATE_KINDS."""
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
        original = noise is clean
        home = p.address if original else _later_address(rng, p)
        moved = home is not p.address
        new_email = None
        if not (original or moved) and p.new_email is not None:
            new_email = p.new_email if rng.random() < _NEW_EMAIL_SHARE else None
        first, last = noise.names(p, 0.06)
        row: PersonRecord = {
            "record_id": f"rec-{emitted:08d}",
            "given_name": first if not noise.hit(0.02) else None,
            "surname": last,
            "date_of_birth": noise.birth_digits(p.birth_date),
            "street_number": noise.street_number(home),
            "address_1": noise.street(home),
            "suburb": noise.city(home),
            "postcode": noise.postcode(home),
            "state": None if noise.hit(0.02) else home.state,
            "phone": noise.phone(p, 0.1 + 0.1 * noise.level),
            "email": noise.email(p, 0.1 + 0.1 * noise.level) if new_email is None else new_email,
            "true_person": p.index,
        }
        if duplicate_kinds:
            kind = None
            if not original:
                kind = (
                    "moved_house" if moved
                    else "new_email" if new_email is not None
                    else "swapped_names" if noise.swapped
                    else "typos"
                )  # fmt: skip
            row["duplicate_kind"] = kind
        return row

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
