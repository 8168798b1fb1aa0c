"""Settings of the core. The core never reads the environment: callers pass `Settings` in.

`load_settings` reads a TOML or YAML file; the CLI and the API layer (pydantic-settings)
add the environment on top.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from identity_graph.errors import ConfigError, describe_validation

BUILTIN_TYPES = (
    "email",
    "phone",
    "cookie",
    "device_id",
    "loyalty_id",
    "crm_id",
    "customer_id",
    "hashed_email",
)

# How each identifier type is normalized. Types added by configuration default to "trim".
NORMALIZERS = ("email", "phone", "upper", "trim", "sha256")


class ActivityRule(BaseModel):
    """Maps a Segment `track` event name to activity on the event's identifiers."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(PURCHASED|VIEWED|EXPOSED_TO|OPENED_CASE|CLOSED_CASE)$")
    target_property: str = Field(description="property holding the product/campaign/case id")
    amount_property: str | None = None
    products_property: str | None = Field(
        default=None, description="list property whose items each become one activity"
    )


def _default_activity() -> dict[str, ActivityRule]:
    return {
        "Order Completed": ActivityRule(
            kind="PURCHASED",
            target_property="product_id",
            amount_property="price",
            products_property="products",
        ),
        "Product Viewed": ActivityRule(kind="VIEWED", target_property="product_id"),
        "Promotion Viewed": ActivityRule(kind="EXPOSED_TO", target_property="campaign_id"),
        "Case Opened": ActivityRule(kind="OPENED_CASE", target_property="case_id"),
        "Case Closed": ActivityRule(kind="CLOSED_CASE", target_property="case_id"),
    }


class Settings(BaseModel):
    """Everything the core needs to decide; thresholds and rules are data, not code."""

    model_config = ConfigDict(extra="forbid")

    merge_threshold: float = Field(
        0.96, ge=0.0, le=1.0, description="links at or above this weight join persons"
    )
    review_threshold: float = Field(
        0.90,
        ge=0.0,
        le=1.0,
        description="probabilistic matches from here to the merge threshold wait for a steward",
    )
    identifier_types: dict[str, str] = Field(
        default_factory=lambda: {
            "email": "email",
            "phone": "phone",
            "cookie": "trim",
            "device_id": "upper",
            "loyalty_id": "trim",
            "crm_id": "trim",
            "customer_id": "trim",
            "hashed_email": "sha256",
        },
        description="identifier type -> normalizer (email, phone, upper, trim, sha256)",
    )
    junk_values: list[str] = Field(
        default_factory=lambda: [
            "",
            "unknown",
            "null",
            "none",
            "nil",
            "undefined",
            "n/a",
            "na",
            "-",
            "0",
            "test",
            "test@test.com",
            "test@example.com",
            "noemail@noemail.com",
            "no@email.com",
            "none@none.com",
        ],
        description="placeholder values (compared after trimming, case-insensitive)",
    )
    type_limits: dict[str, int] = Field(
        default_factory=lambda: {"crm_id": 1, "customer_id": 1},
        description="at most this many identifiers of a type in one person; a merge that "
        "would exceed it is refused (a shared device or login does not glue two CRM "
        "customers), except for matched records (merge_duplicate_records)",
    )
    merge_duplicate_records: bool = Field(
        True,
        description="a probabilistic match at or above merge_threshold between two records "
        "of one identifier type (two CRM rows) merges them even past that type's limit: a "
        "CRM that holds one customer twice gets both rows in one person, listed on it as "
        "duplicates. Deterministic links (a shared device, login, email), records joined "
        "through a third record, and every other type still obey type_limits",
    )
    hub_limit: int = Field(
        2,
        ge=1,
        description="an identifier whose links would join more than this many established "
        "persons (two or more identifiers, one of an anchor type) is a hub and no longer "
        "stitches",
    )
    anchor_types: list[str] = Field(
        default_factory=lambda: ["customer_id", "crm_id", "loyalty_id", "email", "phone"],
        description="identifier types that mark a person as established (for hub detection)",
    )
    default_phone_region: str = Field("US", min_length=2, max_length=2)
    max_future_seconds: int = Field(
        86_400,
        ge=0,
        description="an event or record time may lie at most this far past the server's "
        "clock (a client's clock runs ahead); later, or before 1970, it is a bad item",
    )
    activity: dict[str, ActivityRule] = Field(default_factory=_default_activity)
    date_order: Literal["dmy", "mdy"] | None = Field(
        None,
        description="how to read slashed dates like 09/10/1959 in records: day first (dmy) "
        "or month first (mdy); unset, only ISO 1959-09-10 and 19590910 are read",
    )
    source_priority: list[str] = Field(
        default_factory=lambda: ["crm", "loyalty", "segment"],
        description="survivorship: attributes from earlier sources win, then the most recent",
    )

    consent_categories: dict[str, str] = Field(
        default_factory=lambda: {"Advertising": "ad_personalization"},
        description="Segment context.consent.categoryPreferences category -> consent purpose; "
        "other categories are ignored",
    )
    consent_defaults: dict[str, bool] = Field(
        default_factory=lambda: {"ad_personalization": False},
        description="purpose -> a person's consent when none of its identifiers has a signal",
    )
    device_types: list[str] = Field(
        default_factory=lambda: ["device_id", "cookie"],
        description="identifier types that count as a person's linked devices",
    )

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        # phonenumbers looks a region up upper-cased but compares it as given: "us" would
        # refuse every national number.
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"not a region phone numbers are known for: {value!r}")
        return region

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.review_threshold > self.merge_threshold:
            raise ValueError("review_threshold must not exceed merge_threshold")
        for type_, normalizer in self.identifier_types.items():
            if normalizer not in NORMALIZERS:
                raise ValueError(
                    f"identifier_types.{type_}: unknown normalizer {normalizer!r}, "
                    f"expected one of {', '.join(NORMALIZERS)}"
                )
        for category, purpose in self.consent_categories.items():
            if not purpose.strip():
                raise ValueError(f"consent_categories.{category}: the purpose must not be empty")
        for type_ in [*self.type_limits, *self.anchor_types, *self.device_types]:
            if type_ not in self.identifier_types:
                raise ValueError(f"{type_!r} is not a configured identifier type")
        return self


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML/YAML file (optional), with keyword overrides on top."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read settings file {p}: {exc.strerror}") from exc
        try:
            loaded = tomllib.loads(text) if p.suffix == ".toml" else yaml.safe_load(text)
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"settings file {p} is not valid: {exc}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"settings file {p} must hold a table/mapping at the top")
        data.update(loaded)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation(exc, 'settings')}") from exc
