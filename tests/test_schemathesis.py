"""Schemathesis against the app's own OpenAPI document, in-process (ASGI, no network).

Every operation of the schema gets generated requests, valid and invalid ones (bounded:
`EXAMPLES` each, so the whole module stays well under a minute on two cores). A response
must never be a 5xx, must be a status the operation documents, and must match the
documented schema and content type. The store holds a little data first, so that lookups
find persons, segments and destinations too, not only 404s.

Every request carries an admin key (every route open to it); a second, smaller run sends
none: every operation but the public ones answers 401 (a body that is not JSON too: the key
is checked first), never a 5xx.

The examples are the same on every run (derandomized), so the suite does not flake;
`SCHEMATHESIS_EXPLORE=1` draws new ones each run, to look for more.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import bearer, event, issue_key, login

EXAMPLES = 15
UNAUTHENTICATED_EXAMPLES = 3
_CASES: list[str] = []
_KEY: list[str] = []
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _seeded_service() -> IdentityService:
    """A store with a person, a segment and a destination, so that lookups find something."""
    service = IdentityService(SQLiteStore(f"sqlite:///{_DIR.name}/graph.db"), Settings())
    if service.audiences.destinations():
        return service
    _KEY.append(issue_key(service, "admin", "schemathesis"))
    service.ingest_batch(
        [
            login("u1", "c1", email="anna@example.com"),
            event(
                "track",
                userId="u1",
                event="Order Completed",
                properties={"products": [{"product_id": "p1", "price": 3}]},
            ),
        ]
    )
    service.audiences.save("buyers", {"bought": {"product": "p1"}})
    service.audiences.create_destination("ads", "google", "buyers")
    return service


# Loaded at import, as `schema.parametrize` needs it; schemathesis starts the app's lifespan
# (the service) once and ends it when the process exits, the directory goes with it.
_DIR = tempfile.TemporaryDirectory(prefix="schemathesis-")
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(service_factory=_seeded_service)
)


def _bounded(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=not os.environ.get("SCHEMATHESIS_EXPLORE"),
    )


@schema.parametrize()
@_bounded(EXAMPLES)
def test_every_operation_answers_as_documented_never_5xx(case: schemathesis.Case) -> None:
    _CASES.append(case.operation.label)
    response = case.call(headers=bearer(_KEY[0]))
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@_bounded(UNAUTHENTICATED_EXAMPLES)
def test_without_a_key_every_protected_operation_is_401(case: schemathesis.Case) -> None:
    _CASES.append(case.operation.label)
    response = case.call()
    case.validate_response(response, checks=[checks.not_a_server_error])
    # Other methods on the same path (the coverage phase tries them) are a 405 first.
    same_method = case.method.upper() == case.operation.method.upper()
    if same_method and case.operation.definition.raw.get("security"):
        assert response.status_code == 401, response.text
        headers = {k.lower(): v for k, v in response.headers.items()}
        assert "Bearer" in str(headers["www-authenticate"])


@pytest.fixture(scope="module", autouse=True)
def _report_cases() -> Iterator[None]:
    yield
    if _CASES:
        # With `-s`: the count RESULTS.md quotes.
        print(f"\nschemathesis: {len(_CASES)} cases over {len(set(_CASES))} operations")
