"""The true population: people, their identifiers, households and the hubs among them.

Everything downstream (events, CRM, loyalty, person records, truth) is derived from a
`Population`, so the ground truth is exact by construction.

Hard negatives, different people whose records look alike, are planted per household and
listed in `Population.relations` (see RELATION_KINDS): twins, a parent and a child named
after them, spouses giving out one landline or family mailbox, and namesakes in one town.
Some households move house later and some people take up a new email: only duplicate
records carry those (see records.py), the true duplicates a matcher must still merge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import NamedTuple

from identity_graph.devtools.synthetic import _data as data
from identity_graph.devtools.synthetic import _names as names
from identity_graph.devtools.synthetic._rand import (
    ZERO_UUID,
    Weighted,
    ascii_fold,
    gc_paused,
    tiered,
    uuid4,
)
from identity_graph.devtools.synthetic.phones import foreign_number, us_international, us_number


@dataclass(frozen=True, slots=True)
class Address:
    street_number: str
    street_name: str  # with suffix spelled out, e.g. "Maple Avenue"
    city: str
    postcode: str  # 5-digit US ZIP, kept as text: leading zeros matter
    state: str

    @property
    def line(self) -> str:
        return f"{self.street_number} {self.street_name}"


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str  # iOS IDFV-style upper-case UUID, Android lower-case
    advertising_id: str | None  # IDFA/GAID; ZERO_UUID when ad tracking is limited
    anonymous_id: str  # the app install's Segment anonymousId
    platform: str  # "ios" or "android"


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    given_name: str
    surname: str
    birth_date: date
    address: Address
    household: int
    emails: tuple[str, ...]  # canonical: lower-case, trimmed
    phone: str | None  # E.164
    phone_intl: str | None  # international format, the base for the ways it is written
    customer_id: str | None  # web/app login (Segment userId)
    cookies: tuple[str, ...]  # anonymousIds, browsers first, app installs last
    devices: tuple[Device, ...]
    crm_ids: tuple[str, ...]  # first is the CRM record; any further one is a duplicate
    loyalty_id: str | None
    # A household landline or family mailbox that this person and their spouse both give
    # out (a "spouses" relation); truth marks it SHARED. Whoever set it up (the holder) has
    # no phone, or no email, of their own.
    shared_phone: str | None = None  # E.164
    shared_phone_intl: str | None = None
    shared_email: str | None = None
    # Moved house: the later address, which only some duplicate records carry.
    new_address: Address | None = None
    # An email taken up later, which only some duplicate person records carry: not in
    # `emails`, nor in truth (no event, CRM or loyalty record has it).
    new_email: str | None = None

    @property
    def web_cookies(self) -> tuple[str, ...]:
        """Browser cookies, i.e. the anonymousIds not taken by an app install."""
        return self.cookies[: len(self.cookies) - len(self.devices)]


@dataclass(frozen=True, slots=True)
class SharedTablet:
    """A family tablet: one device and app install, each member logging in as themselves."""

    device: Device
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CallCentreCookie:
    """An agent's browser, logging in as each customer they help."""

    cookie: str
    customers: tuple[int, ...]


RELATION_KINDS = ("twins", "parent_child", "spouses", "namesakes")


class Relation(NamedTuple):
    """Two different people whose records look alike: a hard negative for matching.

    twins: same surname, birth date and address, different given names. parent_child: the
    same given name and surname at one address, birth dates 20 to 40 years apart (a
    "junior"). spouses: one address and a shared landline or family mailbox
    (`Person.shared_phone` / `shared_email`). namesakes: the same given name and surname in
    one city, with different birth dates and addresses (planted and chance ones alike).
    Always `a < b`; in parent_child the parent is the older one."""

    kind: str
    a: int
    b: int


@dataclass(frozen=True, slots=True)
class Population:
    seed: int
    people: tuple[Person, ...]
    tablets: tuple[SharedTablet, ...]
    call_centre: tuple[CallCentreCookie, ...]
    relations: tuple[Relation, ...] = ()

    def __len__(self) -> int:
        return len(self.people)

    def __repr__(self) -> str:
        # The default repr would print every person.
        return (
            f"Population(seed={self.seed}, people={len(self.people)}, "
            f"tablets={len(self.tablets)}, call_centre={len(self.call_centre)}, "
            f"relations={len(self.relations)})"
        )


_FEMALE = Weighted(*tiered((names.FEMALE_COMMON, 8.0), (names.FEMALE_RARE, 1.0)))
_MALE = Weighted(*tiered((names.MALE_COMMON, 8.0), (names.MALE_RARE, 1.0)))
_SURNAME = Weighted(
    *tiered((names.SURNAMES_COMMON, 10.0), (names.SURNAMES_MID, 3.0), (names.SURNAMES_RARE, 1.0))
)
_DOMAIN = Weighted([d for d, _ in data.EMAIL_DOMAINS], [w for _, w in data.EMAIL_DOMAINS])
_HOUSEHOLD_SIZE = Weighted((1, 2, 3, 4, 5), (45, 30, 13, 9, 3))
_COOKIES = Weighted((1, 2, 3, 4), (35, 30, 20, 15))
_DEVICES = Weighted((0, 1, 2), (45, 40, 15))
_EMAILS = Weighted((0, 1, 2), (12, 63, 25))
# Population density is skewed too: big cities hold most customers.
_CITY = Weighted(data.CITIES, [1.0 / (i + 8) for i in range(len(data.CITIES))])

# Person fields after `index`, collected per household before the shuffle fixes indices.
_Draft = tuple[
    str, str, date, Address, int, tuple[str, ...], str | None, str | None, str | None,
    tuple[str, ...], tuple[Device, ...], tuple[str, ...], str | None,
    str | None, str | None, str | None, Address | None, str | None,
]  # fmt: skip

_BIRTH_FIRST = date(1936, 1, 1).toordinal()
_BIRTH_LAST = date(2007, 12, 31).toordinal()
_YEAR = 365.25

# Hard negatives and later changes, as shares of the households whose size allows them.
# Households average 1.95 people: 10,000 people live in about 5,100 households, 2,800 of
# two or more people and 1,300 of three or more. That gives, per 10,000 people, about 120
# twin pairs, 140 juniors, 210 couples sharing a landline or mailbox and 160 namesake
# pairs (30 of them by chance); as rare as in life, twins and juniors would be too few
# to measure.
TWINS_RATE = 0.10  # households of 3+: the last two members are twins
JUNIOR_RATE = 0.05  # households of 2+: the last member is named after member 0
SHARED_CONTACT_RATE = 0.08  # couples (members 0 and 1): half a landline, half a mailbox
NAMESAKE_RATE = 0.02  # households: the head has an earlier customer's common name and town
MOVED_RATE = 0.10  # households: moved house later (duplicate records carry the new address)
NEW_EMAIL_RATE = 0.08  # people: took up another email later (duplicate person records)

_COMMON_GIVEN = frozenset((*names.FEMALE_COMMON, *names.MALE_COMMON))
_COMMON_SURNAME = frozenset(names.SURNAMES_COMMON)
_NPA = {(city, state): npa for city, state, _, npa in data.CITIES}


class _Ids:
    """Unique random identifiers; random rather than sequential so ids leak no order."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def numeric(self, prefix: str, digits: int) -> str:
        while True:
            value = f"{prefix}{int(self.rng.random() * 10**digits):0{digits}d}"
            if value not in self.used:
                self.used.add(value)
                return value


def _email(rng: Random, given: str, surname: str, birth: date, used: set[str]) -> str:
    g = ascii_fold(given).lower().replace(" ", "")
    s = ascii_fold(surname).lower().replace(" ", "")
    r = rng.random()
    if r < 0.25:
        local = f"{g}.{s}"
    elif r < 0.37:
        local = f"{g}{s}"
    elif r < 0.47:
        local = f"{g[0]}{s}"
    elif r < 0.55:
        local = f"{g}_{s}"
    elif r < 0.61:
        local = f"{s}.{g}"
    elif r < 0.71:
        local = f"{g}.{s}{birth.year % 100:02d}"
    elif r < 0.81:
        local = f"{g}{s}{int(rng.random() * 999) + 1}"
    elif r < 0.88:
        local = f"{g[0]}.{s}{int(rng.random() * 99) + 1}"
    elif r < 0.93:
        local = f"{g}{birth.year}"
    else:
        local = f"{s}{g[0]}{int(rng.random() * 90) + 10}"
    return _unused_email(rng, local, used)


def _unused_email(rng: Random, local: str, used: set[str]) -> str:
    email = f"{local}@{_DOMAIN.pick(rng)}"
    while email in used:
        # Common names collide, and providers then make people append digits.
        local = f"{local}{int(rng.random() * 10)}"
        email = f"{local}@{_DOMAIN.pick(rng)}"
    used.add(email)
    return email


def _device(rng: Random, anonymous_id: str) -> Device:
    ios = rng.random() < 0.55
    device_id = uuid4(rng)
    ad_id: str | None = None
    if rng.random() < 0.85:
        ad_id = ZERO_UUID if rng.random() < 0.10 else uuid4(rng)
    if ios:
        device_id = device_id.upper()
        ad_id = ad_id.upper() if ad_id else ad_id
    return Device(device_id, ad_id, anonymous_id, "ios" if ios else "android")


def make_population(
    people: int = 10_000, seed: int = 42, *, hard_negatives: bool = True
) -> Population:
    """A population of `people` true persons, deterministic for `seed`.

    `hard_negatives=False` leaves out the planted relations (twins, juniors, spouses sharing
    a phone or email, namesakes), house moves and new emails: the population this generator
    made before it had them, person for person (chance namesakes are still listed)."""
    if people < 1:
        raise ValueError("people must be at least 1")
    with gc_paused():
        return _make(people, seed, hard_negatives)


@dataclass(slots=True)
class _Plan:
    """What a household is planted with (members 0 and 1 are a couple unless said else)."""

    twins: bool = False  # the last two members
    junior: bool = False  # the last member, named after member 0
    shared: str | None = None  # "phone" or "email" of the couple
    namesake_of: int | None = None  # draft index of the person whose name member 0 has
    moved: bool = False


def _plan(hn: Random, size: int, common: list[int]) -> _Plan:
    plan = _Plan()
    r = hn.random()
    if size >= 3 and r < TWINS_RATE:
        plan.twins = True
    elif size >= 2 and TWINS_RATE <= r < TWINS_RATE + JUNIOR_RATE:
        plan.junior = True
    # Three with twins are a parent and the twins; two with a junior, a parent and child.
    couple = size >= 2 and not (plan.twins and size == 3) and not (plan.junior and size == 2)
    if couple and hn.random() < SHARED_CONTACT_RATE:
        plan.shared = "phone" if hn.random() < 0.5 else "email"
    if common and hn.random() < NAMESAKE_RATE:
        plan.namesake_of = common[int(hn.random() * len(common))]
    plan.moved = hn.random() < MOVED_RATE
    return plan


def _given(rng: Random) -> str:
    return (_FEMALE if rng.random() < 0.5 else _MALE).pick(rng)


def _birth(rng: Random, last: int = _BIRTH_LAST) -> date:
    return date.fromordinal(_BIRTH_FIRST + int(rng.random() * (last - _BIRTH_FIRST + 1)))


def _street(rng: Random) -> tuple[str, str]:
    """(street number, street name with suffix), skewed to low house numbers."""
    suffix = data.STREET_SUFFIXES[int(rng.random() * len(data.STREET_SUFFIXES))][0]
    street = data.STREETS[int(rng.random() * len(data.STREETS))]
    return str(int(rng.random() ** 2 * 9_000) + 1), f"{street} {suffix}"


def _elsewhere(hn: Random, near: Address, postcode: str) -> Address:
    """Another street in `near`'s city, at `postcode`."""
    while True:
        number, street = _street(hn)
        if (number, street) != (near.street_number, near.street_name):
            return Address(number, street, near.city, postcode, near.state)


def _moved_to(hn: Random, home: Address) -> Address:
    """Most moves stay in town; the rest go anywhere, big cities first."""
    if hn.random() < 0.7:
        return _elsewhere(hn, home, f"{home.postcode[:3]}{int(hn.random() * 100):02d}")
    city, state, zip3, _ = _CITY.pick(hn)
    number, street = _street(hn)
    return Address(number, street, city, f"{zip3}{int(hn.random() * 100):02d}", state)


def _mailbox(hn: Random, surname: str, address: Address, used: set[str]) -> str:
    """A family mailbox: "the surnames", "surname family", "surname" and the house number."""
    s = ascii_fold(surname).lower().replace(" ", "").replace("-", "")
    r = hn.random()
    local = f"the{s}s" if r < 0.4 else f"{s}family" if r < 0.7 else f"{s}{address.street_number}"
    return _unused_email(hn, local, used)


def _related(
    hn: Random,
    plan: _Plan,
    member: int,
    size: int,
    person: tuple[str, str, date],
    household: list[_Draft],
    namesake_of: _Draft | None,
) -> tuple[str, str, date]:
    """(given name, surname, birth date) of a member, after the household's plan."""
    given, surname, birth = person
    if member == 0:
        # A parent is old enough to have a child of 20 by the last birth date.
        last = _BIRTH_LAST - int(20 * _YEAR) if plan.junior else _BIRTH_LAST
        if plan.junior:
            birth = _birth(hn, last)
        if namesake_of is not None:
            given, surname = namesake_of[0], namesake_of[1]
            while birth == namesake_of[2]:
                birth = _birth(hn, last)
    if plan.junior and member == size - 1:
        parent = household[0]
        given, surname = parent[0], parent[1]
        born = parent[2].toordinal()
        low, high = 20 * _YEAR, min(40 * _YEAR, _BIRTH_LAST - born)
        return given, surname, date.fromordinal(born + int(low + hn.random() * (high - low)))
    if plan.twins and member == size - 1:
        surname, birth = household[-1][1], household[-1][2]
    # Parents do not give two children one name (juniors aside): no chance namesakes at
    # one address, whose relation would be neither twins nor a junior.
    while any(given == d[0] and surname == d[1] for d in household):
        given = _given(hn)
    return given, surname, birth


def _make(people: int, seed: int, hard_negatives: bool) -> Population:
    rng = Random(seed)
    # Everything planted draws from its own stream, so that without it every draw from
    # `rng` and so the population are as they were before hard negatives existed.
    hn = Random(f"{seed}:hard-negatives")
    ids = _Ids(rng)
    emails_used: set[str] = set()
    phones_used: set[str] = set()
    drafts: list[_Draft] = []
    related: list[tuple[str, int, int]] = []  # (kind, draft index, draft index)
    common: list[int] = []  # drafts with a common given name and surname
    household = 0
    while len(drafts) < people:
        size = min(_HOUSEHOLD_SIZE.pick(rng), people - len(drafts))
        city, state, zip3, npa = _CITY.pick(rng)
        number, street = _street(rng)
        address = Address(number, street, city, f"{zip3}{int(rng.random() * 100):02d}", state)
        family = _SURNAME.pick(rng)
        plan = _plan(hn, size, common) if hard_negatives else _Plan()
        namesake_of = None if plan.namesake_of is None else drafts[plan.namesake_of]
        if namesake_of is not None:
            # Same town, half the time the same ZIP, another street.
            near = namesake_of[3]
            zip5 = near.postcode if hn.random() < 0.5 else near.postcode[:3] + address.postcode[3:]
            address = _elsewhere(hn, near, zip5)
            npa = _NPA[(near.city, near.state)]
            family = namesake_of[1]
        new_address = _moved_to(hn, address) if plan.moved else None
        first = len(drafts)
        shared: tuple[str | None, str | None, str | None] = (None, None, None)
        for member in range(size):
            surname = family if member == 0 or rng.random() < 0.8 else _SURNAME.pick(rng)
            if rng.random() < 0.03:
                surname = f"{surname}-{_SURNAME.pick(rng)}"
            given = _given(rng)
            birth = _birth(rng)
            if hard_negatives:
                given, surname, birth = _related(
                    hn, plan, member, size, (given, surname, birth), drafts[first:], namesake_of
                )
            emails = tuple(
                _email(rng, given, surname, birth, emails_used) for _ in range(_EMAILS.pick(rng))
            )
            phone = phone_intl = None
            if rng.random() < 0.6:
                while phone is None or phone in phones_used:
                    if rng.random() < 0.07:
                        phone, phone_intl = foreign_number(rng)
                    else:
                        phone = us_number(rng, npa if rng.random() < 0.7 else None)
                        phone_intl = us_international(phone)
                phones_used.add(phone)
            customer_id = ids.numeric("U", 9) if rng.random() < 0.7 else None
            n_devices = _DEVICES.pick(rng)
            # App installs carry their own anonymousId: at least one cookie per device.
            cookies = tuple(uuid4(rng) for _ in range(max(_COOKIES.pick(rng), n_devices)))
            devices = tuple(_device(rng, cookies[-1 - k]) for k in range(n_devices))
            crm_ids: tuple[str, ...] = ()
            if rng.random() < 0.6:
                crm_ids = (ids.numeric("CRM-", 8),)
                if rng.random() < 0.05:
                    crm_ids += (ids.numeric("CRM-", 8),)
            loyalty_id = ids.numeric("6035", 12) if rng.random() < 0.4 else None
            # The holder (member 0) gives the landline or mailbox as their only one.
            if member == 0 and plan.shared == "phone":
                landline = None
                while landline is None or landline in phones_used:
                    landline = us_number(hn, npa)
                phones_used.add(landline)
                shared = (landline, us_international(landline), None)
                phone = phone_intl = None
            elif member == 0 and plan.shared == "email":
                shared = (None, None, _mailbox(hn, surname, address, emails_used))
                emails = ()
            elif member == 2:
                shared = (None, None, None)  # the couple's, not their children's
            new_email = None
            if hard_negatives and hn.random() < NEW_EMAIL_RATE:
                new_email = _email(hn, given, surname, birth, emails_used)
            if hard_negatives and given in _COMMON_GIVEN and surname in _COMMON_SURNAME:
                common.append(len(drafts))
            drafts.append(
                (given, surname, birth, address, household, emails, phone, phone_intl,
                 customer_id, cookies, devices, crm_ids, loyalty_id, *shared, new_address,
                 new_email)
            )  # fmt: skip
        if plan.twins:
            related.append(("twins", first + size - 2, first + size - 1))
        if plan.junior:
            related.append(("parent_child", first, first + size - 1))
        if plan.shared is not None:
            related.append(("spouses", first, first + 1))
        household += 1
    # Households are generated together; shuffling makes person index order meaningless.
    order = list(range(len(drafts)))
    rng.shuffle(order)  # the same draws as shuffling `drafts` itself
    persons = tuple(Person(i, *drafts[d]) for i, d in enumerate(order))
    position = {d: i for i, d in enumerate(order)}
    relations = [
        Relation(kind, min(position[a], position[b]), max(position[a], position[b]))
        for kind, a, b in related
    ]
    relations += _namesakes(persons)
    relations.sort(key=lambda r: (RELATION_KINDS.index(r.kind), r.a, r.b))
    return Population(
        seed, persons, _tablets(rng, persons), _call_centre(rng, persons), tuple(relations)
    )


def _namesakes(persons: tuple[Person, ...]) -> list[Relation]:
    """Every pair with one given name and surname in one city but different birth dates,
    addresses and households: the planted ones and those the name frequencies make."""
    towns: defaultdict[tuple[str, str, str, str], list[Person]] = defaultdict(list)
    for p in persons:
        towns[(p.given_name, p.surname, p.address.city, p.address.state)].append(p)
    return [
        Relation("namesakes", a.index, b.index)
        for group in towns.values()
        for i, a in enumerate(group)
        for b in group[i + 1 :]
        if a.birth_date != b.birth_date and a.address != b.address and a.household != b.household
    ]


def _tablets(rng: Random, persons: tuple[Person, ...]) -> tuple[SharedTablet, ...]:
    by_household: dict[int, list[int]] = {}
    for p in persons:
        if p.customer_id is not None:
            by_household.setdefault(p.household, []).append(p.index)
    families = [members for members in by_household.values() if len(members) >= 2]
    wanted = min(len(families), max(2, len(persons) // 2_000))
    tablets = []
    for members in rng.sample(families, wanted):
        size = min(len(members), 2 + int(rng.random() * 3))
        device = _device(rng, uuid4(rng))
        tablets.append(SharedTablet(device, tuple(sorted(rng.sample(members, size)))))
    return tuple(tablets)


def _call_centre(rng: Random, persons: tuple[Person, ...]) -> tuple[CallCentreCookie, ...]:
    customers = [p.index for p in persons if p.customer_id is not None]
    if len(customers) < 2:
        return ()
    per_agent = min(len(customers), max(50, len(persons) // 200))
    return tuple(
        CallCentreCookie(uuid4(rng), tuple(sorted(rng.sample(customers, per_agent))))
        for _ in range(1 + int(rng.random() * 3))
    )
