"""Ready-made exclusion lists, usable by name wherever a segment name is (`in_segment`,
`--exclude`); `resolve` looks them up before stored segments, so a stored segment cannot
shadow one.

- `existing_customers`: a customer_id or crm_id, or any purchase;
- `open_complaint`: a case opened and not closed (wherever each happened);
- `bought:<PRODUCT>`: bought that product at least once;
- `exposed:<CAMPAIGN>:<N>`: exposed to that campaign at least N times (N >= 1).
"""

from __future__ import annotations

from identity_graph.errors import SegmentError
from identity_graph.segments.ast import Expr, parse_segment

__all__ = ["READY_MADE", "is_ready_made", "ready_made"]

#: The names and patterns of the ready-made lists, as a user writes them.
READY_MADE = ("existing_customers", "open_complaint", "bought:<PRODUCT>", "exposed:<CAMPAIGN>:<N>")

_FIXED: dict[str, object] = {
    "existing_customers": {
        "or": [
            {"has_identifier": {"type": "customer_id"}},
            {"has_identifier": {"type": "crm_id"}},
            {"bought": {}},
        ]
    },
    "open_complaint": {"open_case": {}},
}


def is_ready_made(name: str) -> bool:
    """Whether `name` is reserved for a ready-made list (well-formed or not)."""
    return name in _FIXED or name.startswith(("bought:", "exposed:"))


def ready_made(name: str) -> Expr | None:
    """The expression of a ready-made list, None if `name` is not one; SegmentError for a
    malformed `bought:`/`exposed:` name."""
    if name in _FIXED:
        return parse_segment(_FIXED[name])
    if name.startswith("bought:"):
        product = name.removeprefix("bought:")
        if not product:
            raise SegmentError("ready-made list bought:<PRODUCT> needs a product")
        return parse_segment({"bought": {"product": product}})
    if name.startswith("exposed:"):
        campaign, sep, times = name.removeprefix("exposed:").rpartition(":")
        if not sep or not campaign or not times.isdigit() or int(times) < 1:
            raise SegmentError(
                "ready-made list exposed:<CAMPAIGN>:<N> needs a campaign and a count N >= 1"
            )
        return parse_segment({"exposed": {"campaign": campaign, "at_least": int(times)}})
    return None
