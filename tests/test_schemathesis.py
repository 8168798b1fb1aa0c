"""Schemathesis against the app's own OpenAPI document, in-process (ASGI, no network).

Every operation of the schema gets generated requests, valid and invalid ones (bounded:
`EXAMPLES` each, so the whole module stays well under a minute on two cores). A response
must never be a 5xx, must be a status the operation documents, and must match the
documented schema and content type. The store holds a little data first, so that lookups
find persons, segments and destinations too, not only 404s.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from identity_graph.api import create_app
from identity_graph.config import Settings
from identity_graph.service.identity import IdentityService
from identity_graph.stores.sqlite import SQLiteStore
from tests.helpers import event, login

EXAMPLES = 20
_CASES: list[str] = []
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


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_answers_as_documented_never_5xx(case: schemathesis.Case) -> None:
    _CASES.append(case.operation.label)
    response = case.call()
    case.validate_response(response, checks=CHECKS)


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and _CASES:
        reporter.write_line(f"schemathesis: {len(_CASES)} cases over {len(set(_CASES))} operations")
