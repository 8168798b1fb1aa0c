"""Small synthetic person records with known duplicates, for tests and demos.

Deterministic for a seed. Duplicates get the kinds of errors real files have: typos,
a dropped value, given name and surname swapped, a day/month transposition.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from identity_graph.matching.records import MatchRecord

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
