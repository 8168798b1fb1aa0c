"""CRM and loyalty records (CSV or JSONL rows) to observations.

A `RecordMapping` says which column is the record's own ID, which columns are identifiers
(all of one record are linked) and which are person attributes (kept per source for
matching and survivorship). Without a mapping file, columns named like identifier types
or common attribute names are recognised.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from identity_graph.config import Settings
from identity_graph.errors import ConfigError, InvalidValue, ItemError, describe_validation
from identity_graph.ids import IdentifierKey, identifier_key
from identity_graph.ingest.limits import MAX_TEXT
from identity_graph.ingest.normalize import Normalizer, free_text_problem
from identity_graph.ingest.observations import (
    Observation,
    ParseResult,
    TimeWindow,
    parse_ts,
    utc_now,
)
from identity_graph.matching.standardize import STANDARD_FIELDS, normalize_header, parse_date

# Person attributes a record may carry (matching fields, by their canonical names); headers
# are recognised through the matcher's alias table ("First Name" -> given_name).
ATTRIBUTES = frozenset(STANDARD_FIELDS) - {"email", "phone"}
# Attributes that hold a calendar date: stored as sent, but only if it is one.
DATE_ATTRIBUTES = frozenset({"date_of_birth"})
# Identifier values also copied into the record's attributes, for matching.
_MATCHED_IDENTIFIERS = ("email", "phone")
# A column `consent_<purpose>` (normalized header) is a consent signal for that purpose.
_CONSENT_PREFIX = "consent_"
_CONSENT_VALUES = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}


class RecordMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, description="name of the system, e.g. crm, loyalty")
    id_column: str = Field(description="column holding the record's own ID")
    id_type: str = Field(description="identifier type of that ID, e.g. crm_id")
    identifiers: dict[str, str] = Field(
        default_factory=dict, description="column -> identifier type"
    )
    attributes: dict[str, str] = Field(default_factory=dict, description="column -> attribute name")
    consent: dict[str, str] = Field(
        default_factory=dict,
        description="column -> consent purpose; values true/false, yes/no, y/n, 1/0 (empty: "
        "no signal), a signal of the record's own identifier at the record's time",
    )
    timestamp_column: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> RecordMapping:
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))  # YAML is a JSON superset
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read mapping {p}: {exc}") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                f"mapping {p} is invalid: {describe_validation(exc, 'mapping')}"
            ) from exc

    @classmethod
    def infer(
        cls, columns: list[str], source: str, identifier_types: frozenset[str]
    ) -> RecordMapping:
        """Recognise columns by name: `<source>_id` or the first `*_id` type is the record ID."""
        lowered = {c: normalize_header(c) for c in columns}
        idents = {c: n for c, n in lowered.items() if n in identifier_types}
        id_column = next(
            (c for c, n in idents.items() if n == f"{source}_id"),
            next((c for c, n in idents.items() if n.endswith("_id")), None),
        )
        if id_column is None:
            raise ConfigError(
                f"cannot tell which column is the record ID among {columns}; "
                "name it after an identifier type (e.g. crm_id) or pass a mapping file"
            )
        attributes = {c: n for c, n in lowered.items() if n in ATTRIBUTES}
        consent = {
            c: n.removeprefix(_CONSENT_PREFIX)
            for c, n in lowered.items()
            if n.startswith(_CONSENT_PREFIX) and n != _CONSENT_PREFIX
        }
        ts = next((c for c, n in lowered.items() if n in ("updated_at", "timestamp")), None)
        return cls(
            source=source,
            id_column=id_column,
            id_type=idents.pop(id_column),
            identifiers=idents,
            attributes=attributes,
            consent=consent,
            timestamp_column=ts,
        )


class RecordParser:
    """`lenient`: a malformed identifier or attribute value (an invalid date, an overlong
    text) is dropped (and counted) rather than an error; for messy CRM exports and batch
    resolution of files whose rows must all come out again. The record ID and the record's
    time are never dropped: a bad one is always an error."""

    def __init__(
        self,
        mapping: RecordMapping,
        normalizer: Normalizer,
        lenient: bool = False,
        settings: Settings | None = None,
    ) -> None:
        unknown = {mapping.id_type, *mapping.identifiers.values()} - normalizer.types
        if unknown:
            raise ConfigError(f"mapping names unknown identifier types: {sorted(unknown)}")
        self._m = mapping
        self._norm = normalizer
        self._lenient = lenient
        settings = settings or Settings.model_validate({})
        self._date_order = settings.date_order
        self._window = TimeWindow(settings.max_future_seconds)

    def parse(self, row: object, position: int) -> ParseResult:
        m = self._m
        if not isinstance(row, Mapping):
            return ParseResult(None, [ItemError(position, "$", "expected an object/row")])
        errors: list[ItemError] = []
        at = utc_now()
        if m.timestamp_column and row.get(m.timestamp_column):
            try:
                at = parse_ts(row[m.timestamp_column])
            except ValueError as exc:
                errors.append(ItemError(position, m.timestamp_column, str(exc)))
            else:
                if (problem := self._window.problem(at)) is not None:
                    errors.append(ItemError(position, m.timestamp_column, problem))
        record_id = _text(row.get(m.id_column))
        if not record_id:
            errors.append(ItemError(position, m.id_column, "the record ID is required"))
            return ParseResult(None, errors)
        # Identical content re-ingested changes nothing; changed content is new evidence.
        digest = hashlib.sha1(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[
            :20
        ]
        obs = Observation(position, f"{m.source}:{record_id}:{digest}", at, m.source)
        seen: set[IdentifierKey] = set()
        dropped: list[ItemError] = []
        for column, type_ in [(m.id_column, m.id_type), *m.identifiers.items()]:
            raw = _text(row.get(column))
            if not raw:
                continue
            try:
                value = self._norm.normalize(type_, raw)
            except InvalidValue as exc:
                if self._lenient and column != m.id_column:
                    obs.placeholders += 1
                    dropped.append(ItemError(position, column, f"{exc} (field dropped)"))
                else:
                    errors.append(ItemError(position, column, str(exc)))
                continue
            if value is None:
                obs.placeholders += 1
                if column == m.id_column:
                    errors.append(ItemError(position, column, "the record ID is a placeholder"))
                continue
            key = identifier_key(type_, value)
            if key not in seen:
                seen.add(key)
                obs.identifiers.append((key, type_, value))
        attributes: dict[str, str] = {}
        for column, name in m.attributes.items():
            text = _text(row.get(column))
            if not text:
                continue
            problem = self._attribute_problem(name, text)
            if problem is None:
                attributes[name] = text
            elif self._lenient:
                dropped.append(ItemError(position, column, f"{problem} (field dropped)"))
            else:
                errors.append(ItemError(position, column, problem))
        for _, type_, value in obs.identifiers:
            if type_ in _MATCHED_IDENTIFIERS:
                attributes.setdefault(type_, value)
        for column, purpose in m.consent.items():
            text = _text(row.get(column)).lower()
            if not text:
                continue
            granted = _CONSENT_VALUES.get(text)
            if granted is None:
                errors.append(
                    ItemError(position, column, "must be true or false (yes/no, y/n, 1/0)")
                )
            else:
                obs.consent.append((purpose, granted))
        if errors:
            return ParseResult(None, errors)
        own_key = obs.identifiers[0][0]
        obs.record = (m.source, record_id, own_key, json.dumps(attributes, sort_keys=True))
        if obs.consent:
            obs.activity_key = own_key
        return ParseResult(obs, errors, dropped)

    def _attribute_problem(self, name: str, text: str) -> str | None:
        if len(text) > MAX_TEXT:
            return f"longer than {MAX_TEXT} characters"
        if (problem := free_text_problem(text)) is not None:
            return problem
        if name in DATE_ATTRIBUTES:
            try:
                parse_date(text, field=name, date_order=self._date_order)
            except ValueError as exc:
                # parse_date's message quotes the value: a birth date is personal data.
                if "ambiguous" in str(exc):
                    return "day/month ambiguous: set date_order (dmy or mdy) in the settings"
                return "not a valid date (expected YYYY-MM-DD or YYYYMMDD)"
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()
