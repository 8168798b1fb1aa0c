"""What to compare and how to block: the inputs to `train`.

Defaults target the standard person fields (see `standardize.STANDARD_FIELDS`); fields the
records do not have simply compare as null (Bayes factor 1) and block nothing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from identity_graph.matching.blocking import DEFAULT_MAX_BLOCK_SIZE, BlockingRule, LinkType
from identity_graph.matching.specs import (
    ComparisonSpec,
    date_comparison,
    distance_comparison,
    exact_match,
    full_address_comparison,
    name_comparison,
)


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
    em_max_iterations: int = Field(default=1000, gt=0)
    # Training compares at most about this many candidate pairs, a uniform sample when
    # blocking yields more (scoring always compares all); None: every candidate pair.
    train_max_pairs: int | None = Field(default=5_000_000, gt=0)
    em_tolerance: float = Field(default=1e-6, gt=0)
    seed: int = 42
    # Fix the prior instead of estimating it by EM (e.g. 1/5000 for a known 1:1 link).
    fixed_prior: float | None = Field(default=None, gt=0, lt=1)
    # Dirichlet pseudo-count of matches per comparison in EM (see fellegi_sunter).
    em_pseudo_count: float = Field(default=1.0, ge=0)
    # EM training sessions, one per rule (Splink's estimate_parameters_using_expectation_
    # maximisation): each estimates m on the candidate pairs that satisfy its rule, for
    # the comparisons that do not read the rule's fields (those agree by construction
    # there); the sessions' expected match counts are pooled per comparison. None: the
    # DEFAULT_TRAINING_RULES; (): no sessions, one EM over all candidate pairs. Rules on
    # identity fields (birth date, full name) make sessions in which "same person" is the
    # dominant kind of agreeing pair; see training.py.
    training_rules: tuple[str, ...] | None = None
    # After the sessions, one EM over all candidate pairs with every m free, started from
    # the sessions' estimates (see training.py: it corrects the sessions' selection).
    refit_all: bool = True

    @model_validator(mode="after")
    def _check(self) -> MatchSettings:
        labels = [c.label for c in self.comparisons]
        if len(set(labels)) != len(labels):
            raise ValueError(f"comparison names must be unique: {labels}")
        if not self.comparisons:
            raise ValueError("at least one comparison is needed")
        fallbacks = {c.label for c in self.comparisons if c.fallback_for is not None}
        for c in self.comparisons:
            for other in (c.u_given, c.fallback_for, c.u_given_among):
                if other is not None and (other not in labels or other == c.label):
                    raise ValueError(f"{c.label}: {other!r} must name another comparison")
            if c.fallback_for in fallbacks:
                raise ValueError(f"{c.label}: {c.fallback_for!r} is itself a fallback")
        if not self.blocking_rules:
            raise ValueError("at least one blocking rule is needed")
        for rule in (*self.blocking_rules, *(self.training_rules or ())):
            BlockingRule.parse(rule)  # fail early on a typo
        return self

    def rules(self) -> list[BlockingRule]:
        return [BlockingRule.parse(r) for r in self.blocking_rules]

    def training_sessions(self) -> list[BlockingRule]:
        rules = DEFAULT_TRAINING_RULES if self.training_rules is None else self.training_rules
        return [BlockingRule.parse(r) for r in rules]


# Fellegi-Sunter multiplies the fields' Bayes factors as if independent. Fixes for the
# correlations that matter most in person data are built into the defaults:
# * swaps (given name <-> surname) get their own "swapped" level instead of counting as
#   two unrelated disagreements (under-confidence otherwise);
# * common names are weaker evidence than rare ones: the exact level of given name and
#   surname is term-frequency adjusted;
# * the address is one comparison of street number, street, address line 2 and postcode
#   together (`full_address_comparison`), not one per part: relatives share the whole
#   address, so among non-matches the parts agree together far more often than the
#   product of their random-pair rates - compared separately, "same address" counted
#   three or four times over and a household outscored a true duplicate with a typo
#   (over-confidence that grows with the population). Suburb and state are left out: the
#   postcode nearly determines them. Where two records have fewer than two address parts
#   in common (a source with postcodes only), the postcode alone is compared instead
#   (`fallback_for`). Compare parts separately only for data where they vary
#   independently (as the FEBRL benchmark does);
# * relatives living together share much more than an address: a surname, often a
#   landline or a family mailbox, sometimes a birth date (twins). Those fields have their
#   u conditional on the address (`u_given`): at the same address, agreement counts for
#   what it is among the people of one household (little, for a shared surname or
#   phone), and twins or spouses are not duplicates by address + what a household shares.
#   The birth date's is estimated among pairs whose given names differ (`u_given_among`),
#   surely two people. The given name is not conditional: a CRM's duplicates live at
#   their original's address, and among one household's pairs EM cannot tell a junior
#   from a duplicate - conditioned, a shared first name became worthless there and most
#   CRM duplicates stayed apart;
# * nicknames (Bob, Robert) are their own level of the given name, so "else" means a
#   different first name.
_AT_ADDRESS = {"u_given": "address"}
DEFAULT_COMPARISONS: tuple[ComparisonSpec, ...] = (
    name_comparison("given_name", swap_with="surname", term_frequency=True, nicknames=True),
    name_comparison("surname", swap_with="given_name", term_frequency=True, u_given="address"),
    date_comparison("date_of_birth").model_copy(
        update={**_AT_ADDRESS, "u_given_among": "given_name"}
    ),
    full_address_comparison(("street_number", "address_1", "address_2", "postcode")),
    distance_comparison("postcode", (1,), fallback_for="address"),
    distance_comparison("phone", (1,)).model_copy(update=_AT_ADDRESS),
    # Exact only: a shared local part on another domain (j.smith@a / j.smith@b) mostly
    # repeats the name evidence, since local parts are made of names.
    exact_match("email").model_copy(update=_AT_ADDRESS),
)

# Sessions of EM training (see MatchSettings.training_rules). Both are on identity fields:
# two records that share a birth date, or a full name, are mostly the same person or else
# unrelated, so within each session the non-matches look like random pairs (the u that EM
# holds fixed) on the other fields. A session on a shared-by-households field (address,
# surname, phone area) would be dominated by relatives, the very pairs EM must not take
# for matches. Between them the two sessions estimate every default comparison.
DEFAULT_TRAINING_RULES: tuple[str, ...] = ("date_of_birth", "given_name & surname")

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
