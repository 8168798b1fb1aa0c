"""Segment-spec events (identify, track, page, screen, alias, group) to observations.

Field to identifier type, as the Segment spec uses them: `userId` -> customer_id,
`anonymousId` -> cookie, `traits.email` -> email, `traits.phone` -> phone,
`context.device.id` and `context.device.advertisingId` -> device_id, `previousId` (alias) ->
cookie, `context.externalIds[]` -> their declared type. This runs once per event on the
ingest hot path, so it reads plain dicts rather than validating through pydantic.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from identity_graph.config import Settings
from identity_graph.errors import InvalidValue, ItemError
from identity_graph.ids import IdentifierKey, identifier_key
from identity_graph.ingest.limits import MAX_ID, json_problem
from identity_graph.ingest.normalize import Normalizer, text_problem
from identity_graph.ingest.observations import (
    Observation,
    ParseResult,
    TimeWindow,
    parse_ts,
    utc_now,
)

EVENT_TYPES = frozenset({"identify", "track", "page", "screen", "alias", "group"})
# Read in this order, as Segment's libraries fill them: the first one present is the time.
_TIME_FIELDS = ("timestamp", "originalTimestamp", "sentAt")
# A price or revenue beyond this is a typo or an attack, not a sale; and it keeps every
# sum of amounts finite.
MAX_AMOUNT = 1e12

# Activity and consent hang off one identifier per event so that a person's purchase is
# counted once; the most durable identifier wins.
_ACTIVITY_OWNER = ("customer_id", "crm_id", "loyalty_id", "email", "phone", "device_id", "cookie")
_CONSENT_FIELD = "context.consent.categoryPreferences"
_TARGET_TYPE = {
    "PURCHASED": "Product",
    "VIEWED": "Product",
    "EXPOSED_TO": "Campaign",
    "OPENED_CASE": "Case",
    "CLOSED_CASE": "Case",
}


class EventParser:
    def __init__(self, settings: Settings, normalizer: Normalizer) -> None:
        self._settings = settings
        self._norm = normalizer
        self._types = normalizer.types
        self._window = TimeWindow(settings.max_future_seconds)

    def parse(self, event: object, position: int) -> ParseResult:
        if not isinstance(event, Mapping):
            return ParseResult(None, [ItemError(position, "$", "expected a JSON object")])
        errors: list[ItemError] = []
        etype = event.get("type")
        # A JSON list or object is unhashable: set membership alone would raise TypeError.
        if not isinstance(etype, str) or etype not in EVENT_TYPES:
            errors.append(
                ItemError(
                    position,
                    "type",
                    f"must be one of {', '.join(sorted(EVENT_TYPES))}, got {etype!r}",
                )
            )
            return ParseResult(None, errors)
        # Before anything reads it: a huge or deeply nested event costs no more than this.
        if (bad := json_problem(event, "")) is not None:
            return ParseResult(None, [ItemError(position, bad[0] or "$", bad[1])])
        message_id = event.get("messageId")
        if message_id is None:
            # Without a messageId a replay is only harmless if identical content maps to one id.
            blob = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
            message_id = "sha1:" + hashlib.sha1(blob.encode()).hexdigest()
        elif not isinstance(message_id, str) or not message_id.strip():
            errors.append(ItemError(position, "messageId", "must be a non-empty string"))
        elif (problem := id_problem(message_id)) is not None:
            errors.append(ItemError(position, "messageId", problem))
        time_field = next((f for f in _TIME_FIELDS if event.get(f)), None)
        if time_field is None:
            at = utc_now()
        else:
            try:
                at = parse_ts(event[time_field])
            except ValueError as exc:
                errors.append(ItemError(position, time_field, str(exc)))
                at = ""
            else:
                if (problem := self._window.problem(at)) is not None:
                    errors.append(ItemError(position, time_field, problem))
        obs = Observation(position, str(message_id), at, f"segment:{etype}")
        seen: set[IdentifierKey] = set()

        def add(field: str, type_: str, raw: object) -> None:
            if raw is None:
                return
            try:
                value = self._norm.normalize(type_, raw)
            except InvalidValue as exc:
                errors.append(ItemError(position, field, str(exc)))
                return
            if value is None:
                obs.placeholders += 1
                return
            key = identifier_key(type_, value)
            if key not in seen:
                seen.add(key)
                obs.identifiers.append((key, type_, value))

        if etype != "alias" and event.get("userId") is None and event.get("anonymousId") is None:
            errors.append(ItemError(position, "userId", "userId or anonymousId is required"))
        add("userId", "customer_id", event.get("userId"))
        add("anonymousId", "cookie", event.get("anonymousId"))
        if etype == "alias":
            if event.get("previousId") is None or event.get("userId") is None:
                errors.append(
                    ItemError(position, "previousId", "alias needs previousId and userId")
                )
            add("previousId", "cookie", event.get("previousId"))
        traits = event.get("traits")
        context = event.get("context")
        ctx = context if isinstance(context, Mapping) else {}
        if not isinstance(traits, Mapping):
            ctx_traits = ctx.get("traits")
            traits = ctx_traits if isinstance(ctx_traits, Mapping) else {}
        add("traits.email", "email", traits.get("email"))
        add("traits.phone", "phone", traits.get("phone"))
        device = ctx.get("device")
        if isinstance(device, Mapping):
            add("context.device.id", "device_id", device.get("id"))
            add("context.device.advertisingId", "device_id", device.get("advertisingId"))
        external = ctx.get("externalIds")
        if external is not None:
            self._external_ids(external, position, add, errors)
        if etype == "track":
            self._activity(event, obs, position, errors)
        if ctx.get("consent") is not None:
            self._consent(ctx["consent"], obs, position, errors)
        if obs.activity or obs.consent:
            obs.activity_key = owner_key(obs.identifiers)
        return ParseResult(None if errors else obs, errors)

    def _consent(
        self, consent: object, obs: Observation, position: int, errors: list[ItemError]
    ) -> None:
        """`context.consent.categoryPreferences` (category -> bool): each category mapped to
        a purpose (`settings.consent_categories`) is a signal at the event's time."""
        if not isinstance(consent, Mapping):
            errors.append(ItemError(position, "context.consent", "must be an object"))
            return
        prefs = consent.get("categoryPreferences")
        if prefs is None:
            return
        if not isinstance(prefs, Mapping):
            errors.append(ItemError(position, _CONSENT_FIELD, "must be an object"))
            return
        purposes = self._settings.consent_categories
        for category, granted in prefs.items():
            if not isinstance(granted, bool):
                field = f"{_CONSENT_FIELD}.{category}"
                errors.append(ItemError(position, field, "must be true or false"))
                continue
            purpose = purposes.get(str(category))
            if purpose is not None:
                obs.consent.append((purpose, granted))

    def _external_ids(
        self,
        external: object,
        position: int,
        add: Callable[[str, str, object], None],
        errors: list[ItemError],
    ) -> None:
        if not isinstance(external, list):
            errors.append(ItemError(position, "context.externalIds", "must be a list"))
            return
        for i, item in enumerate(external):
            field = f"context.externalIds[{i}]"
            if not isinstance(item, Mapping):
                errors.append(ItemError(position, field, "must be an object with id and type"))
                continue
            type_ = item.get("type")
            if not isinstance(type_, str) or type_ not in self._types:
                errors.append(
                    ItemError(position, f"{field}.type", f"unknown identifier type {type_!r}")
                )
                continue
            add(f"{field}.id", type_, item.get("id"))

    def _activity(
        self, event: Mapping[str, Any], obs: Observation, position: int, errors: list[ItemError]
    ) -> None:
        name = event.get("event")
        if not isinstance(name, str) or not name:
            errors.append(ItemError(position, "event", "track events need an event name"))
            return
        if len(name) > MAX_ID:
            errors.append(ItemError(position, "event", f"longer than {MAX_ID} characters"))
            return
        rule = self._settings.activity.get(name)
        if rule is None:
            return
        props = event.get("properties")
        if not isinstance(props, Mapping):
            errors.append(ItemError(position, "properties", f"{name!r} needs properties"))
            return
        target_type = _TARGET_TYPE[rule.kind]
        if rule.products_property is not None:
            items = props.get(rule.products_property)
            if not isinstance(items, list):
                errors.append(
                    ItemError(position, f"properties.{rule.products_property}", "must be a list")
                )
                return
            for i, item in enumerate(items):
                field = f"properties.{rule.products_property}[{i}]"
                if not isinstance(item, Mapping) or item.get(rule.target_property) in (None, ""):
                    errors.append(ItemError(position, field, f"needs {rule.target_property}"))
                    continue
                target_field = f"{field}.{rule.target_property}"
                target = _target_id(item[rule.target_property], target_field, position, errors)
                amount = _amount(item, rule.amount_property, field, position, errors)
                if target is not None:
                    obs.activity.append((rule.kind, target_type, target, amount))
        else:
            target = props.get(rule.target_property)
            if target in (None, ""):
                errors.append(
                    ItemError(
                        position, f"properties.{rule.target_property}", f"required for {name!r}"
                    )
                )
                return
            target_field = f"properties.{rule.target_property}"
            target_id = _target_id(target, target_field, position, errors)
            amount = _amount(props, rule.amount_property, "properties", position, errors)
            if target_id is not None:
                obs.activity.append((rule.kind, target_type, target_id, amount))


def id_problem(value: str) -> str | None:
    """Why a string sent as an ID (messageId, product, campaign or case ID) cannot be stored
    as it is, or None."""
    if len(value) > MAX_ID:
        return f"longer than {MAX_ID} characters"
    return text_problem(value)


def _target_id(raw: object, field: str, position: int, errors: list[ItemError]) -> str | None:
    # Product IDs are often numbers; anything else (an object, a list, a float) would be
    # stored as its Python text.
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        errors.append(ItemError(position, field, "must be a string or an integer"))
        return None
    text = str(raw)
    if (problem := id_problem(text)) is not None:
        errors.append(ItemError(position, field, problem))
        return None
    return text


def owner_key(identifiers: Sequence[tuple[IdentifierKey, str, str]]) -> IdentifierKey | None:
    """The one identifier of an event that its activity and consent hang off: the first of
    the most durable type (`_ACTIVITY_OWNER`), else the first identifier."""
    owners = {type_: key for key, type_, _ in reversed(identifiers)}
    for type_ in _ACTIVITY_OWNER:
        if type_ in owners:
            return owners[type_]
    return identifiers[0][0] if identifiers else None


def _amount(
    item: Mapping[str, Any],
    prop: str | None,
    field: str,
    position: int,
    errors: list[ItemError],
) -> float:
    if prop is None or item.get(prop) is None:
        return 0.0
    try:
        amount = float(item[prop])
        quantity = float(item.get("quantity", 1) or 1)
    except (TypeError, ValueError, OverflowError):
        errors.append(ItemError(position, f"{field}.{prop}", "must be a number"))
        return 0.0
    for name, number in ((prop, amount), ("quantity", quantity)):
        if not math.isfinite(number) or abs(number) > MAX_AMOUNT:
            errors.append(
                ItemError(
                    position, f"{field}.{name}", f"must be a finite number within ±{MAX_AMOUNT:g}"
                )
            )
            return 0.0
    if abs(amount * quantity) > MAX_AMOUNT:
        errors.append(
            ItemError(position, f"{field}.{prop}", f"times quantity exceeds {MAX_AMOUNT:g}")
        )
        return 0.0
    return amount * quantity
