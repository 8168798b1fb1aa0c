"""What a comparison is: a field (or several), a kind of scorer and its thresholds, which
together fix the agreement levels (0 null, 1 exact, fuzzy levels, else). Declarative, so a
model's JSON can carry its comparisons; `comparisons` computes the levels."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, model_validator
from rapidfuzz import distance, fuzz

from identity_graph.matching.table import EncodedColumn, RecordTable

LevelArray = npt.NDArray[np.int8]
StrArray = npt.NDArray[np.object_]  # strings, as a fancy-indexable object array
Strings = Sequence[str] | StrArray
FloatArray = npt.NDArray[np.float64]

ComparisonKind = Literal[
    "exact",
    "jaro_winkler",
    "jaro",
    "levenshtein",
    "damerau_levenshtein",
    "levenshtein_ratio",
    "token_set",
    "date",
    "email",
]

NULL_LEVEL = 0
EXACT_LEVEL = 1

# Similarity kinds (higher is closer, threshold is a minimum) and distance kinds (lower is
# closer, threshold is a maximum), with the rapidfuzz scorer each uses.
SIMILARITY: dict[str, Callable[..., float]] = {
    "jaro_winkler": distance.JaroWinkler.normalized_similarity,
    "jaro": distance.Jaro.normalized_similarity,
    "levenshtein_ratio": distance.Levenshtein.normalized_similarity,
    "token_set": fuzz.token_set_ratio,  # 0..100, thresholds are given as 0..1
}
DISTANCE: dict[str, Callable[..., float]] = {
    "levenshtein": distance.Levenshtein.distance,
    # Optimal string alignment (restricted Damerau-Levenshtein: adjacent transpositions
    # count one edit) - the usual record-linkage meaning, and twice as fast as the
    # unrestricted distance in rapidfuzz.
    "damerau_levenshtein": distance.OSA.distance,
}


class ComparisonSpec(BaseModel):
    """How one field is compared. Serialized as-is into the model JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    kind: ComparisonKind
    thresholds: tuple[float, ...] = ()
    name: str | None = None
    # Another field whose value may have been entered here (given name and surname
    # swapped, address lines swapped): adds a "swapped" level before "else", so a swap is
    # not scored as two unrelated disagreements.
    swap_with: str | None = None
    # Adjust the exact level's Bayes factor by how common the shared value is (Splink's
    # term-frequency adjustment): "smith" = "smith" is weaker evidence than "zyskowski".
    term_frequency: bool = False
    # Compare several fields as one value (their present values joined by a space; `field`
    # then only names the combination). For fields that are strongly correlated among
    # non-matches - the parts of an address, which a whole household shares - one joint
    # comparison has the right u: P(same address | random pair) counts the households,
    # whereas separate comparisons multiply the parts' u as if independent and count one
    # piece of evidence ("same address") three or four times.
    fields: tuple[str, ...] = ()
    # The name of another comparison that this one depends on among non-matches: where
    # that one agrees exactly, this one's u is P(level | non-match, that agrees exactly),
    # estimated by EM in training, instead of the random-pair u (and no term-frequency
    # adjustment applies there). E.g. surname given the address: relatives living together
    # mostly share a surname, so at the same address a shared surname is little evidence
    # of the same person; elsewhere it keeps its full weight.
    u_given: str | None = None
    # With u_given (ignored without it): estimate that conditional u only among the pairs
    # where this other comparison disagrees ("else"). Among the people of one household a
    # duplicate agrees on nearly everything, so EM over the whole stratum can take
    # duplicates for non-matches and make agreement worthless there; pairs whose first
    # names differ are surely two people, and how often they share a birth date is what
    # twins look like.
    u_given_among: str | None = None
    # The name of another comparison this one stands in for: compared only where that one
    # is null (else this one is null), e.g. the postcode alone where two addresses have
    # fewer than two parts in common. Exactly one of the two speaks for a pair, so nothing
    # is counted twice, and each one's m and u stay conditional on its own presence.
    fallback_for: str | None = None
    # Names only: a "nickname" level for two values the `nicknames` dataset relates
    # (Bob ~ Robert, Rob ~ Bob: one canonical name), which would otherwise be "else". Then
    # "else" means a different name, strong evidence against, as for twins.
    nicknames: bool = False

    @model_validator(mode="after")
    def _check(self) -> ComparisonSpec:
        t = self.thresholds
        if self.fields and (len(self.fields) < 2 or self.swap_with is not None):
            raise ValueError(f"{self.label}: fields takes two or more fields and no swap_with")
        if self.fields and self.kind in ("date", "email"):
            raise ValueError(f"{self.label}: fields is not supported for {self.kind!r}")
        if self.swap_with is not None and self.kind in ("date", "email"):
            raise ValueError(f"{self.label}: swap_with is not supported for {self.kind!r}")
        if self.kind in SIMILARITY and list(t) != sorted(t, reverse=True):
            raise ValueError(f"{self.label}: similarity thresholds must be decreasing: {t}")
        if self.kind in DISTANCE and list(t) != sorted(t):
            raise ValueError(f"{self.label}: distance thresholds must be increasing: {t}")
        if self.kind in ("exact", "date", "email") and t:
            raise ValueError(f"{self.label}: kind {self.kind!r} takes no thresholds")
        if self.nicknames and (self.kind not in SIMILARITY or self.fields):
            raise ValueError(f"{self.label}: nicknames is for a name compared by similarity")
        return self

    @property
    def label(self) -> str:
        """Output name: one per comparison, used as the key of contributions/levels."""
        return self.name or self.field

    @property
    def input_fields(self) -> tuple[str, ...]:
        """Every record field the comparison reads (a swap partner included)."""
        own = self.fields or (self.field,)
        return own if self.swap_with is None else (*own, self.swap_with)

    def column(self, table: RecordTable) -> EncodedColumn:
        """The encoded values this comparison compares."""
        return table.combined(self.fields) if self.fields else table.encoded(self.field)

    @property
    def level_labels(self) -> list[str]:
        fuzzy: list[str]
        if self.kind == "date":
            fuzzy = ["one_edit", "year_month_or_swapped"]
        elif self.kind == "email":
            fuzzy = ["same_local_part"]
        elif self.kind in SIMILARITY:
            fuzzy = [f"{self.kind}>={t:g}" for t in self.thresholds]
        elif self.kind in DISTANCE:
            fuzzy = [f"{self.kind}<={t:g}" for t in self.thresholds]
        else:
            fuzzy = []
        if self.nicknames:
            fuzzy.append(NICKNAME_LEVEL)
        if self.swap_with is not None:
            fuzzy.append(f"swapped_with_{self.swap_with}")
        return ["null", "exact", *fuzzy, "else"]

    @property
    def n_levels(self) -> int:
        return len(self.level_labels)


# -- library of common comparisons (Splink's comparison_library, for person data) ------------


def exact_match(field: str, *, swap_with: str | None = None) -> ComparisonSpec:
    return ComparisonSpec(field=field, kind="exact", swap_with=swap_with)


def name_comparison(
    field: str,
    thresholds: Sequence[float] = (0.92, 0.80),
    *,
    swap_with: str | None = None,
    term_frequency: bool = False,
    u_given: str | None = None,
    nicknames: bool = False,
) -> ComparisonSpec:
    """Jaro-Winkler levels: exact / >=0.92 / >=0.80 [/ nickname] [/ swapped] / else."""
    return ComparisonSpec(
        field=field,
        kind="jaro_winkler",
        thresholds=tuple(thresholds),
        swap_with=swap_with,
        term_frequency=term_frequency,
        u_given=u_given,
        nicknames=nicknames,
    )


NICKNAME_LEVEL = "nickname"


def is_side_level(label: str) -> bool:
    """Levels off the closeness scale (a swap, a nickname): they must weigh between
    "else" and "exact", and are not ordered against the fuzzy levels."""
    return label == NICKNAME_LEVEL or label.startswith("swapped_with_")


def distance_comparison(
    field: str, thresholds: Sequence[int] = (1, 2), *, fallback_for: str | None = None
) -> ComparisonSpec:
    """Damerau-Levenshtein edit-distance levels (codes, IDs, house numbers, postcodes)."""
    return ComparisonSpec(
        field=field,
        kind="damerau_levenshtein",
        thresholds=tuple(float(t) for t in thresholds),
        fallback_for=fallback_for,
    )


def address_comparison(
    field: str, thresholds: Sequence[float] = (0.9, 0.7), *, swap_with: str | None = None
) -> ComparisonSpec:
    """Normalized Levenshtein similarity: robust to typos, reads whole addresses."""
    return ComparisonSpec(
        field=field, kind="levenshtein_ratio", thresholds=tuple(thresholds), swap_with=swap_with
    )


def full_address_comparison(
    fields: Sequence[str] = ("street_number", "address_1", "address_2", "postcode"),
    thresholds: Sequence[float] = (0.9, 0.7),
    *,
    name: str = "address",
) -> ComparisonSpec:
    """The whole address as one comparison (see `ComparisonSpec.fields`): exact / normalized
    Levenshtein similarity levels of the joined parts / else."""
    return ComparisonSpec(
        field=name, kind="levenshtein_ratio", thresholds=tuple(thresholds), fields=tuple(fields)
    )


def date_comparison(field: str = "date_of_birth") -> ComparisonSpec:
    """exact / one edit (a typo) / same year+month or day and month transposed / else."""
    return ComparisonSpec(field=field, kind="date")


def email_comparison(field: str = "email") -> ComparisonSpec:
    """exact / same local part (different domain) / else."""
    return ComparisonSpec(field=field, kind="email")
