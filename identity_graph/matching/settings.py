"""What to compare and how to block: the inputs to `train`.

Defaults target the standard person fields (see `standardize.STANDARD_FIELDS`); fields the
records do not have simply compare as null (Bayes factor 1) and block nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from identity_graph.matching.blocking import DEFAULT_MAX_BLOCK_SIZE, BlockingRule
from identity_graph.matching.comparisons import (
    ComparisonSpec,
    address_comparison,
    date_comparison,
    distance_comparison,
    email_comparison,
    exact_match,
    name_comparison,
)

LinkType = Literal["dedupe", "link", "link_and_dedupe"]


class MatchSettings(BaseModel):
    """Everything training needs besides the records. Serialized inside the model JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # "dedupe": pairs within one set of records; "link": only pairs across sources
    # (RecordTable.concat gives each input its source); "link_and_dedupe": both.
    link_type: LinkType = "dedupe"
    comparisons: tuple[ComparisonSpec, ...]
    blocking_rules: tuple[str, ...]
    max_block_size: int = Field(default=DEFAULT_MAX_BLOCK_SIZE, gt=1)
    # Random pairs per comparison for u. The exact-match level's u is computed exactly from
    # value counts; the sample only splits the remaining mass over the fuzzy levels and
    # "else". None: 10 per record, at least 100,000 and at most 1,000,000 - a budget that
    # stays a small share of the work of comparing the candidate pairs.
    u_sample_pairs: int | None = Field(default=None, gt=0)
    em_max_iterations: int = Field(default=200, gt=0)
    em_tolerance: float = Field(default=1e-6, gt=0)
    seed: int = 42
    # Fix the prior instead of estimating it by EM (e.g. 1/5000 for a known 1:1 link).
    fixed_prior: float | None = Field(default=None, gt=0, lt=1)
    # Dirichlet pseudo-count of matches per comparison in EM (see fellegi_sunter).
    em_pseudo_count: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> MatchSettings:
        labels = [c.label for c in self.comparisons]
        if len(set(labels)) != len(labels):
            raise ValueError(f"comparison names must be unique: {labels}")
        if not self.comparisons:
            raise ValueError("at least one comparison is needed")
        if not self.blocking_rules:
            raise ValueError("at least one blocking rule is needed")
        for rule in self.blocking_rules:
            BlockingRule.parse(rule)  # fail early on a typo
        return self

    def rules(self) -> list[BlockingRule]:
        return [BlockingRule.parse(r) for r in self.blocking_rules]


# Fellegi-Sunter multiplies the fields' Bayes factors as if independent. Two fixes for the
# correlations that matter most in person data are built into the defaults:
# * swaps (given name <-> surname, address line 1 <-> 2) get their own "swapped" level
#   instead of counting as two unrelated disagreements (under-confidence otherwise);
# * common names are weaker evidence than rare ones: the exact level of given name and
#   surname is term-frequency adjusted;
# * suburb and state are left out: they are nearly determined by the postcode, so
#   counting all three would multiply one piece of evidence three times
#   (over-confidence). Add them back for data where they vary independently.
DEFAULT_COMPARISONS: tuple[ComparisonSpec, ...] = (
    name_comparison("given_name", swap_with="surname", term_frequency=True),
    name_comparison("surname", swap_with="given_name", term_frequency=True),
    date_comparison("date_of_birth"),
    exact_match("street_number"),
    address_comparison("address_1", swap_with="address_2"),
    address_comparison("address_2", swap_with="address_1"),
    distance_comparison("postcode", (1,)),
    distance_comparison("phone", (1,)),
    email_comparison("email"),
)

# Chosen to stay tractable on millions of records: no rule on a single low-cardinality
# field (a bare postcode or state would make blocks of thousands).
DEFAULT_BLOCKING_RULES: tuple[str, ...] = (
    "given_name & surname",
    "unordered(given_name, surname)",
    "soundex(surname) & year(date_of_birth)",
    "date_of_birth & initial(given_name)",
    "postcode & street_number",
    "postcode & metaphone(given_name)",
    "phone",
    "email",
    "email_local(email)",
)


def default_settings(**overrides: object) -> MatchSettings:
    """Settings for the standard person fields; keyword arguments override any field."""
    values: dict[str, object] = {
        "comparisons": DEFAULT_COMPARISONS,
        "blocking_rules": DEFAULT_BLOCKING_RULES,
    }
    values.update(overrides)
    return MatchSettings.model_validate(values)


def u_sample_size(settings: MatchSettings, n_records: int) -> int:
    if settings.u_sample_pairs is not None:
        return settings.u_sample_pairs
    return int(min(max(10 * n_records, 100_000), 1_000_000))
