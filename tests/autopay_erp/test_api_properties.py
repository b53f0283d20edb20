"""Property-based test of the whole API against its own OpenAPI schema (schemathesis).

For every operation of /api/schema/ (new endpoints included, the day they appear in the schema), schemathesis
generates requests, valid and not, as an ordinary member of a company with data (token authentication), and
checks each answer: never a server error, a status the schema documents, a body in the documented shape.
Examples are few per operation so that the suite stays fast; a stateful run follows the schema's links.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from autopay_erp.wsgi import application
from tests.autopay_erp import worlds

EXAMPLES = 5


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection(db):
    # As Django's test client does: a request must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    world = worlds.company_with_data()
    return Token.objects.create(user=world.user).key


# Read at collection: the schema needs no database (no credentials are sent for it).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The property-based (fuzzing) phase only: the coverage phase's many cases per operation are too slow.
schema.config.phases.coverage.enabled = False
# What the answers must be. Not "a schema-valid request is accepted": another company's id is refused.
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


def test_every_operation_documents_the_error_answers():
    undocumented = [
        f"{method.upper()} {path} {status}"
        for path, operations in schema.raw_schema["paths"].items()
        for method, operation in operations.items()
        for status in ("400", "401", "403", "404")
        if status not in operation["responses"]
    ]
    assert undocumented == []
