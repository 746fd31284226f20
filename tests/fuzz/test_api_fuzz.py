"""Property-based fuzzing of every operation in the project's own OpenAPI schema.

schemathesis generates requests from /api/schema/ (path and query parameters, headers,
JSON / form / multipart bodies, valid and invalid) and sends them in process, through
Django's WSGI handler: no server. Every operation is fuzzed twice, as a customer (with
money and a pending loan) and as a manager. Two checks on every response:

- not_a_server_error: no 5xx, whatever the input;
- response_schema_conformance: a documented response matches its documented shape.

Examples per operation and role: FUZZ_EXAMPLES (default 15), so CI stays within minutes.
Throttles are off (they are tested in tests/security/); every request carries a fresh
token so that the fuzzer calling /api/logout/ does not lock itself out.
"""

import json
import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.tokens import issue_tokens
from contact import services as inbox
from loans import services as loans
from services import services as catalogue
from tests.factories import CustomerFactory, ManagerFactory, fund

from .conftest import REQUESTS

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance]


def openapi_document() -> dict:
    """The schema exactly as /api/schema/?format=json serves it (test_schema_is_served_as_fuzzed)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = WSGIHandler()  # requests go through Django's middleware, in process

fuzz_settings = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ directory in the checkout
    derandomize=os.environ.get("FUZZ_RANDOM") is None,  # reproducible in CI unless asked otherwise
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Django closes "obsolete" connections when a request starts and ends; inside the
    test's transaction that closes the test's own connection (on PostgreSQL). Django's
    test client switches this off for its requests; schemathesis calls the WSGI handler
    directly, so switch it off here the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, settings, wsgi_keeps_the_test_connection):
    """A small bank for the fuzzer to poke at: two customers with money, a pending loan,
    a service, a contact message, a manager."""
    settings.API_THROTTLE = False
    customer = CustomerFactory()
    other = CustomerFactory()
    fund(customer, "5000.00")
    fund(other, "100.00")
    loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    service = catalogue.create_service(name="Savings", description="Save money.")
    inbox.submit_message(name="Ann", email="ann@example.com", message="Hello there", service=service)
    return {"customer": customer.user, "manager": ManagerFactory().user}


def call_as(case, user, role):
    token = issue_tokens(user)["access"]
    REQUESTS[role] += 1
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_customer(case, world):
    call_as(case, world["customer"], "customer")


@schema.parametrize()
@fuzz_settings
def test_fuzz_as_manager(case, world):
    call_as(case, world["manager"], "manager")


def test_schema_is_served_as_fuzzed(db, client):
    """The fuzzer reads the generated document; it must be what the API serves."""
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content) == openapi_document()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 45  # every operation of the brief is fuzzed, none failed to load
