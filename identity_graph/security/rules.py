"""Who may call which route: one rule per (method, route template), checked on every request.

A route without a rule is refused to everyone (fail closed), and `tests/test_auth_matrix.py`
fails for it: adding a route means deciding here who may call it. `admin` may call every
route that is not public; the other roles only those that name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from identity_graph.errors import Forbidden
from identity_graph.security.keys import Caller, Role


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role] = frozenset()  # besides admin
    public: bool = False  # no key needed (probes, docs, Browser guides): no personal data
    basic: bool = False  # the key may come as the HTTP Basic user (SDK write keys)
    # Exporter keys: the route's `name` path parameter must be one of the key's segments or
    # destinations.
    scope: Literal["segment", "destination"] | None = None


PUBLIC = Rule(public=True)
READ = Rule(frozenset({"reader", "steward"}))
STEWARD = Rule(frozenset({"steward"}))
ADMIN = Rule()
INGEST = Rule(frozenset({"ingest"}), basic=True)
EXPORT_SEGMENT = Rule(frozenset({"exporter"}), scope="segment")
EXPORT_DESTINATION = Rule(frozenset({"exporter"}), scope="destination")

RULES: dict[tuple[str, str], Rule] = {
    # Probes, metrics (counts only), docs and Browser guides. The docs' scripts and styles
    # (/docs/assets/..., a static-files mount, not a route) are public as well.
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/docs/redoc"): PUBLIC,
    ("GET", "/guides/identity-graph.html"): PUBLIC,
    ("OPTIONS", "/guides/identity-graph.html"): PUBLIC,
    ("GET", "/guides/style.grass"): PUBLIC,
    ("OPTIONS", "/guides/style.grass"): PUBLIC,
    ("GET", "/guides/saved-queries.zip"): PUBLIC,
    # Ingest.
    ("POST", "/v1/batch"): INGEST,
    # Segment's single-event routes (api/routes/batch.py): a batch of one.
    ("POST", "/v1/identify"): INGEST,
    ("POST", "/v1/track"): INGEST,
    ("POST", "/v1/page"): INGEST,
    ("POST", "/v1/screen"): INGEST,
    ("POST", "/v1/group"): INGEST,
    ("POST", "/v1/alias"): INGEST,
    # Profiles.
    ("GET", "/v1/persons/{person_id}"): READ,
    ("GET", "/v1/identifiers/{type}/{value:path}/person"): READ,
    ("GET", "/v1/explain"): READ,
    ("GET", "/v1/stats"): READ,
    # Segments: read by readers, defined by admins, exported by their exporters.
    ("GET", "/v1/segments"): READ,
    ("GET", "/v1/segments/{name}"): READ,
    ("PUT", "/v1/segments/{name}"): ADMIN,
    ("DELETE", "/v1/segments/{name}"): ADMIN,
    ("GET", "/v1/segments/{name}/count"): READ,
    ("GET", "/v1/segments/{name}/members"): READ,
    ("GET", "/v1/segments/{name}/why/{person_id}"): READ,
    ("GET", "/v1/segments/{name}/export"): EXPORT_SEGMENT,
    # Destinations: defined by admins, worked by their exporters.
    ("GET", "/v1/destinations"): ADMIN,
    ("PUT", "/v1/destinations/{name}"): ADMIN,
    ("DELETE", "/v1/destinations/{name}"): ADMIN,
    ("GET", "/v1/destinations/{name}"): EXPORT_DESTINATION,
    ("POST", "/v1/destinations/{name}/deltas"): EXPORT_DESTINATION,
    ("GET", "/v1/destinations/{name}/deltas/{generation}/{side}"): EXPORT_DESTINATION,
    ("POST", "/v1/destinations/{name}/deltas/{generation}/commit"): EXPORT_DESTINATION,
    ("DELETE", "/v1/destinations/{name}/deltas/{generation}"): EXPORT_DESTINATION,
    # The steward's desk.
    ("GET", "/v1/review"): STEWARD,
    ("GET", "/v1/review/{pair_id}"): STEWARD,
    ("POST", "/v1/review/{pair_id}/decision"): STEWARD,
    ("GET", "/v1/audit"): STEWARD,
    ("POST", "/v1/persons/{person_id}/consent"): STEWARD,
    # Erasure (GDPR Art. 17): a steward's decision, audited.
    ("DELETE", "/v1/persons/{person_id}"): STEWARD,
    # The graph's lifecycle (api/routes/lifecycle.py): provenance, removal, merge/split, hubs.
    ("GET", "/v1/batches"): STEWARD,
    ("POST", "/v1/evidence/remove"): STEWARD,
    ("POST", "/v1/persons/merge"): STEWARD,
    ("POST", "/v1/persons/{person_id}/split"): STEWARD,
    ("GET", "/v1/hubs"): STEWARD,
    ("POST", "/v1/hubs/confirm"): STEWARD,
    ("POST", "/v1/hubs/release"): STEWARD,
}


def rule_for(method: str, path: str) -> Rule | None:
    # Starlette answers HEAD on every GET route.
    return RULES.get(("GET" if method == "HEAD" else method, path))


def check(rule: Rule, caller: Caller, path_params: Mapping[str, str]) -> None:
    """Forbidden unless the caller's role (and an exporter's scope) allows the route."""
    if caller.role == "admin":
        return
    if caller.role not in rule.roles:
        raise Forbidden(f"a {caller.role} key may not call this route")
    if rule.scope is not None and caller.role == "exporter":
        name = path_params.get("name", "")
        allowed = caller.segments if rule.scope == "segment" else caller.destinations
        if name not in allowed:
            raise Forbidden(f"this exporter key may not export this {rule.scope}")
