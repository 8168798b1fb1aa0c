"""Ground truth: which true person each identifier key belongs to.

Keys are `f"{type}:{normalized_value}"`, normalized as `identity_graph.ingest.normalize` does with
the default settings (default phone region "US"). Hub identifiers (family tablets and their
app install, call-centre cookies) map to HUB (-1): they belong to several people, so a
correct resolution keeps them out of any one person. Placeholders (junk values) and
all-zero advertising IDs are not identifiers and are absent.
"""

from __future__ import annotations

from identity_graph.devtools.synthetic._rand import ZERO_UUID
from identity_graph.devtools.synthetic.population import Device, Population
from identity_graph.ids import IdentifierKey, identifier_key

HUB = -1


def _device_keys(device: Device) -> list[IdentifierKey]:
    keys = [identifier_key("device_id", device.device_id.upper())]
    if device.advertising_id is not None and device.advertising_id != ZERO_UUID:
        keys.append(identifier_key("device_id", device.advertising_id.upper()))
    return keys


def truth(pop: Population) -> dict[IdentifierKey, int]:
    """Identifier key -> true person index; hub keys -> HUB (-1)."""
    result: dict[IdentifierKey, int] = {}
    for p in pop.people:
        i = p.index
        for email in p.emails:
            result[identifier_key("email", email)] = i
        if p.phone is not None:
            result[identifier_key("phone", p.phone)] = i
        if p.customer_id is not None:
            result[identifier_key("customer_id", p.customer_id)] = i
        for cookie in p.cookies:
            result[identifier_key("cookie", cookie)] = i
        for device in p.devices:
            for key in _device_keys(device):
                result[key] = i
        for crm_id in p.crm_ids:
            result[identifier_key("crm_id", crm_id)] = i
        if p.loyalty_id is not None:
            result[identifier_key("loyalty_id", p.loyalty_id)] = i
    for key in sorted(hub_keys(pop)):  # sorted: set order varies with PYTHONHASHSEED
        result[key] = HUB
    return result


def hub_keys(pop: Population) -> set[IdentifierKey]:
    """Keys of identifiers shared by several people: tablets and call-centre cookies."""
    keys: set[IdentifierKey] = set()
    for tablet in pop.tablets:
        keys.update(_device_keys(tablet.device))
        keys.add(identifier_key("cookie", tablet.device.anonymous_id))
    keys.update(identifier_key("cookie", agent.cookie) for agent in pop.call_centre)
    return keys
