"""The true population: people, their identifiers, households and the hubs among them.

Everything downstream (events, CRM, loyalty, person records, truth) is derived from a
`Population`, so the ground truth is exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from random import Random

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


@dataclass(frozen=True, slots=True)
class Population:
    seed: int
    people: tuple[Person, ...]
    tablets: tuple[SharedTablet, ...]
    call_centre: tuple[CallCentreCookie, ...]

    def __len__(self) -> int:
        return len(self.people)

    def __repr__(self) -> str:
        # The default repr would print every person.
        return (
            f"Population(seed={self.seed}, people={len(self.people)}, "
            f"tablets={len(self.tablets)}, call_centre={len(self.call_centre)})"
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
]  # fmt: skip

_BIRTH_FIRST = date(1936, 1, 1).toordinal()
_BIRTH_LAST = date(2007, 12, 31).toordinal()


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


def make_population(people: int = 10_000, seed: int = 42) -> Population:
    """A population of `people` true persons, deterministic for `seed`."""
    if people < 1:
        raise ValueError("people must be at least 1")
    with gc_paused():
        return _make(people, seed)


def _make(people: int, seed: int) -> Population:
    rng = Random(seed)
    ids = _Ids(rng)
    emails_used: set[str] = set()
    phones_used: set[str] = set()
    drafts: list[_Draft] = []
    household = 0
    while len(drafts) < people:
        size = min(_HOUSEHOLD_SIZE.pick(rng), people - len(drafts))
        city, state, zip3, npa = _CITY.pick(rng)
        suffix = data.STREET_SUFFIXES[int(rng.random() * len(data.STREET_SUFFIXES))][0]
        street = data.STREETS[int(rng.random() * len(data.STREETS))]
        address = Address(
            str(int(rng.random() ** 2 * 9_000) + 1),
            f"{street} {suffix}",
            city,
            f"{zip3}{int(rng.random() * 100):02d}",
            state,
        )
        family = _SURNAME.pick(rng)
        for member in range(size):
            surname = family if member == 0 or rng.random() < 0.8 else _SURNAME.pick(rng)
            if rng.random() < 0.03:
                surname = f"{surname}-{_SURNAME.pick(rng)}"
            given = (_FEMALE if rng.random() < 0.5 else _MALE).pick(rng)
            birth = date.fromordinal(
                _BIRTH_FIRST + int(rng.random() * (_BIRTH_LAST - _BIRTH_FIRST + 1))
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
            drafts.append(
                (given, surname, birth, address, household, emails, phone, phone_intl,
                 customer_id, cookies, devices, crm_ids, loyalty_id)
            )  # fmt: skip
        household += 1
    # Households are generated together; shuffling makes person index order meaningless.
    rng.shuffle(drafts)
    persons = tuple(Person(i, *d) for i, d in enumerate(drafts))
    return Population(seed, persons, _tablets(rng, persons), _call_centre(rng, persons))


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
