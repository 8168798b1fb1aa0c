"""Ground truth: which true person each identifier key belongs to.

Keys are `f"{type}:{normalized_value}"`, normalized as `identity_graph.ingest.normalize` does with
the default settings (default phone region "US"). Hub identifiers (family tablets and their
app install, call-centre cookies) map to HUB (-1): they belong to several people, so a
correct resolution keeps them out of any one person. The landlines and family mailboxes
spouses share map to SHARED (-2) for the same reason. They have a marker of their own
because hub detection cannot find them (an identifier joining two persons looks like one
joining a person's duplicate records), so counting them as hubs would hide how well the
real hubs are found.
`pairwise_score` counts no identifier with a negative label. Placeholders (junk values)
and all-zero advertising IDs are not identifiers and are absent.
"""

from __future__ import annotations

from identity_graph.devtools.synthetic._rand import ZERO_UUID
from identity_graph.devtools.synthetic.population import Device, Population
from identity_graph.ids import IdentifierKey, identifier_key

HUB = -1
SHARED = -2


def _device_keys(device: Device) -> list[IdentifierKey]:
    keys = [identifier_key("device_id", device.device_id.upper())]
    if device.advertising_id is not None and device.advertising_id != ZERO_UUID:
        keys.append(identifier_key("device_id", device.advertising_id.upper()))
    return keys


def truth(pop: Population) -> dict[IdentifierKey, int]:
    """Identifier key -> true person index; hub keys -> HUB (-1), the phones and emails
    spouses share -> SHARED (-2)."""
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
    for key in sorted(shared_keys(pop)):
        result[key] = SHARED
    return result


def hub_keys(pop: Population) -> set[IdentifierKey]:
    """Keys of identifiers shared by several people: tablets and call-centre cookies."""
    keys: set[IdentifierKey] = set()
    for tablet in pop.tablets:
        keys.update(_device_keys(tablet.device))
        keys.add(identifier_key("cookie", tablet.device.anonymous_id))
    keys.update(identifier_key("cookie", agent.cookie) for agent in pop.call_centre)
    return keys


def shared_keys(pop: Population) -> set[IdentifierKey]:
    """Keys of the landlines and family mailboxes that spouses both give out
    (`Person.shared_phone`, `shared_email`)."""
    keys: set[IdentifierKey] = set()
    for p in pop.people:
        if p.shared_phone is not None:
            keys.add(identifier_key("phone", p.shared_phone))
        if p.shared_email is not None:
            keys.add(identifier_key("email", p.shared_email))
    return keys
