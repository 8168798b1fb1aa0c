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

HUB = -1


def _device_keys(device: Device) -> list[str]:
    keys = [f"device_id:{device.device_id.upper()}"]
    if device.advertising_id is not None and device.advertising_id != ZERO_UUID:
        keys.append(f"device_id:{device.advertising_id.upper()}")
    return keys


def truth(pop: Population) -> dict[str, int]:
    """Identifier key -> true person index; hub keys -> HUB (-1)."""
    result: dict[str, int] = {}
    for p in pop.people:
        i = p.index
        for email in p.emails:
            result[f"email:{email}"] = i
        if p.phone is not None:
            result[f"phone:{p.phone}"] = i
        if p.customer_id is not None:
            result[f"customer_id:{p.customer_id}"] = i
        for cookie in p.cookies:
            result[f"cookie:{cookie}"] = i
        for device in p.devices:
            for key in _device_keys(device):
                result[key] = i
        for crm_id in p.crm_ids:
            result[f"crm_id:{crm_id}"] = i
        if p.loyalty_id is not None:
            result[f"loyalty_id:{p.loyalty_id}"] = i
    for key in sorted(hub_keys(pop)):  # sorted: set order varies with PYTHONHASHSEED
        result[key] = HUB
    return result


def hub_keys(pop: Population) -> set[str]:
    """Keys of identifiers shared by several people: tablets and call-centre cookies."""
    keys: set[str] = set()
    for tablet in pop.tablets:
        keys.update(_device_keys(tablet.device))
        keys.add(f"cookie:{tablet.device.anonymous_id}")
    keys.update(f"cookie:{agent.cookie}" for agent in pop.call_centre)
    return keys
