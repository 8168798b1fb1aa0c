"""Small synthetic person records with known duplicates, for tests and demos.

Deterministic for a seed. Duplicates get the kinds of errors real files have: typos,
a dropped value, given name and surname swapped, a day/month transposition.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from identity_graph.matching.table import MatchRecord

_GIVEN = [
    "james",
    "mary",
    "john",
    "patricia",
    "robert",
    "jennifer",
    "michael",
    "linda",
    "william",
    "elizabeth",
    "david",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "oliver",
    "amelia",
    "jack",
    "isla",
    "noah",
    "mia",
    "leo",
    "ava",
    "lucas",
    "grace",
    "henry",
    "chloe",
    "ethan",
    "zoe",
    "liam",
    "ruby",
    "mason",
    "ella",
    "harper",
    "levi",
]
_SURNAME = [
    "smith",
    "jones",
    "williams",
    "brown",
    "wilson",
    "taylor",
    "johnson",
    "white",
    "martin",
    "anderson",
    "thompson",
    "nguyen",
    "thomas",
    "walker",
    "harris",
    "lee",
    "ryan",
    "robinson",
    "kelly",
    "king",
    "davis",
    "wright",
    "evans",
    "roberts",
    "green",
    "hall",
    "wood",
    "jackson",
    "clarke",
    "patel",
    "khan",
    "lewis",
    "james",
    "phillips",
    "mitchell",
    "campbell",
    "turner",
    "parker",
    "edwards",
    "collins",
    "stewart",
    "morris",
    "murphy",
    "cook",
    "rogers",
    "morgan",
    "cooper",
    "peterson",
]
_STREET = [
    "high street",
    "station road",
    "church street",
    "park avenue",
    "victoria road",
    "george street",
    "king street",
    "queen street",
    "elizabeth street",
    "william street",
    "bridge road",
    "mill lane",
    "north terrace",
    "ocean parade",
    "hill crescent",
    "river drive",
    "forest court",
    "lake circuit",
    "beach road",
    "pine place",
]
_SUBURB = [
    ("2000", "sydney", "nsw"),
    ("2010", "surry hills", "nsw"),
    ("3000", "melbourne", "vic"),
    ("3121", "richmond", "vic"),
    ("4000", "brisbane", "qld"),
    ("5000", "adelaide", "sa"),
    ("6000", "perth", "wa"),
    ("7000", "hobart", "tas"),
    ("2600", "canberra", "act"),
    ("0800", "darwin", "nt"),
    ("2300", "newcastle", "nsw"),
    ("3220", "geelong", "vic"),
]


@dataclass(frozen=True)
class SyntheticData:
    records: list[MatchRecord]
    true_pairs: set[tuple[str, str]]  # (smaller id, larger id) of every duplicate pair


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    kind = rng.random()
    if kind < 0.4:
        return s[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + s[i + 1 :]
    if kind < 0.7:
        return s[:i] + s[i + 1 :]
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]


def _corrupt(rng: random.Random, fields: dict[str, str | None]) -> dict[str, str | None]:
    out = dict(fields)
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        r = rng.random()
        name = rng.choice(["given_name", "surname", "address_1", "suburb", "street_number"])
        if r < 0.55 and out.get(name):
            out[name] = _typo(rng, out[name] or "")
        elif r < 0.7:
            out[name] = None
        elif r < 0.82:
            out["given_name"], out["surname"] = out["surname"], out["given_name"]
        elif r < 0.92 and out.get("date_of_birth"):
            y, m, d = (out["date_of_birth"] or "").split("-")
            if int(d) <= 12:
                out["date_of_birth"] = f"{y}-{d}-{m}"
        elif out.get("phone"):
            out["phone"] = None
    return out


def generate(n_people: int = 300, duplicate_rate: float = 0.4, seed: int = 0) -> SyntheticData:
    """`n_people` originals; each gets 1-2 corrupted duplicates with `duplicate_rate`."""
    rng = random.Random(seed)
    records: list[MatchRecord] = []
    true_pairs: set[tuple[str, str]] = set()
    for p in range(n_people):
        postcode, suburb, state = rng.choice(_SUBURB)
        base: dict[str, str | None] = {
            "given_name": rng.choice(_GIVEN),
            "surname": rng.choice(_SURNAME),
            "date_of_birth": f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "street_number": str(rng.randint(1, 200)),
            "address_1": rng.choice(_STREET),
            "suburb": suburb,
            "postcode": postcode,
            "state": state,
            "phone": f"04{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.6 else None,
            "email": None,
        }
        if rng.random() < 0.5:
            base["email"] = f"{base['given_name']}.{base['surname']}{rng.randint(1, 99)}@mail.com"
        ids = [f"p{p}-0"]
        records.append(MatchRecord(ids[0], base))
        if rng.random() < duplicate_rate:
            for d in range(1, rng.choice([2, 2, 3])):
                rid = f"p{p}-{d}"
                records.append(MatchRecord(rid, _corrupt(rng, base)))
                ids.append(rid)
        for i in range(len(ids)):
            for j in range(i + 1, len(ids)):
                true_pairs.add((min(ids[i], ids[j]), max(ids[i], ids[j])))
    rng.shuffle(records)
    return SyntheticData(records, true_pairs)


_SYLLABLES = [
    "an",
    "bel",
    "car",
    "dan",
    "el",
    "fin",
    "gar",
    "han",
    "is",
    "jo",
    "kel",
    "lin",
    "mar",
    "nor",
    "ol",
    "par",
    "quin",
    "ros",
    "sam",
    "tor",
    "ul",
    "vin",
    "wil",
    "xan",
    "yor",
    "zel",
    "ber",
    "cha",
    "de",
    "fra",
    "gre",
    "ho",
    "ka",
    "lo",
    "mi",
    "na",
    "ri",
    "sa",
    "ta",
    "ve",
]


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts))


def generate_population(
    n_records: int, duplicate_rate: float = 0.2, seed: int = 0
) -> SyntheticData:
    """A larger population with realistic cardinalities (thousands of given names, tens of
    thousands of surnames and streets, 2,600 postcodes) for scale benchmarks; names follow
    a Zipf-like frequency so blocks have a realistic skew."""
    rng = random.Random(seed)
    given = list(dict.fromkeys(_word(rng, rng.choice([2, 2, 3])) for _ in range(4_000)))
    surnames = list(dict.fromkeys(_word(rng, rng.choice([2, 3, 3])) for _ in range(60_000)))
    streets = [
        f"{_word(rng, 2)} {rng.choice(['street', 'road', 'avenue', 'place', 'drive'])}"
        for _ in range(30_000)
    ]
    localities = [
        (f"{1000 + i}", _word(rng, 2), rng.choice(["nsw", "vic", "qld", "wa", "sa"]))
        for i in range(2_600)
    ]
    # Cumulative weights: rng.choices is then a bisection, not a pass over all weights.
    given_cw = list(itertools.accumulate(1 / (i + 1) ** 0.7 for i in range(len(given))))
    surname_cw = list(itertools.accumulate(1 / (i + 1) ** 0.7 for i in range(len(surnames))))
    records: list[MatchRecord] = []
    true_pairs: set[tuple[str, str]] = set()
    p = 0
    while len(records) < n_records:
        postcode, suburb, state = rng.choice(localities)
        first = rng.choices(given, cum_weights=given_cw)[0]
        last = rng.choices(surnames, cum_weights=surname_cw)[0]
        base: dict[str, str | None] = {
            "given_name": first,
            "surname": last,
            "date_of_birth": f"{rng.randint(1930, 2005)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "street_number": str(rng.randint(1, 300)),
            "address_1": rng.choice(streets),
            "suburb": suburb,
            "postcode": postcode,
            "state": state,
            "phone": f"04{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.6 else None,
            "email": f"{first}.{last}{rng.randint(1, 999)}@mail.com"
            if rng.random() < 0.5
            else None,
        }
        ids = [f"p{p}-0"]
        records.append(MatchRecord(ids[0], base))
        if rng.random() < duplicate_rate:
            rid = f"p{p}-1"
            records.append(MatchRecord(rid, _corrupt(rng, base)))
            true_pairs.add((min(ids[0], rid), max(ids[0], rid)))
        p += 1
    return SyntheticData(records[:n_records], true_pairs)
