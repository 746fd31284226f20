"""API9:2023 Improper Inventory Management.

Every route under /api/ is accounted for: documented in the OpenAPI schema, or one of
the old web client's aliases that mounts the *same view class* as a documented route
(so it cannot drift into an unprotected copy). No stray debug or test endpoints.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from bank_project.schema import LEGACY_PREFIXES

pytestmark = pytest.mark.django_db


def all_routes(resolver=None, prefix=""):
    """(path, view class) for every URL pattern, with Django's converters written as {name}."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from all_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
            yield "/" + route, view_class


def normalise(route: str) -> str:
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def api_routes():
    return [(normalise(route), view) for route, view in all_routes() if route.startswith("/api/")]


def test_every_api_route_is_documented_or_an_alias_of_a_documented_view():
    schema_paths = set(SchemaGenerator().get_schema(request=None, public=True)["paths"])
    documented_views = {view for route, view in api_routes() if route.replace("{pk}", "{id}") in schema_paths}
    undocumented = []
    for route, view in api_routes():
        if route.replace("{pk}", "{id}") in schema_paths or route in ("/api/schema/", "/api/docs/"):
            continue
        if route.startswith(LEGACY_PREFIXES) and view in documented_views:
            continue
        undocumented.append((route, view))
    assert undocumented == []


def test_legacy_aliases_are_left_out_of_the_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert not [path for path in paths if path.startswith(LEGACY_PREFIXES)]


def test_no_debug_or_test_endpoints_are_routed():
    suspicious = ("debug", "test", "__", "silk", "graphql", "token/verify", "phpmy", "admin/doc")
    assert [route for route, _ in all_routes() if any(word in route for word in suspicious)] == []


@pytest.mark.parametrize("path", [
    "/api/transactions/deposit/", "/api/transactions/withdrawal/", "/api/transactions/balance-transfer/",
    "/api/transactions/loans/", "/api/account/customer/", "/api/account/manager/", "/api/auth/update-profile/",
])
def test_old_client_paths_need_authentication_like_the_new_ones(path):
    assert APIClient().get(path).status_code == 401


# The old backend's open payment callbacks: anyone could call them to credit any account.
OLD_PAYMENT_CALLBACKS = [
    "/api/transactions/payment-success/", "/api/transactions/payment-failure/",
    "/api/transactions/initiate-payment/", "/api/payment-success/", "/api/payment-failure/",
    "/api/initiate-payment/", "/api/transactions/deposit/success/", "/api/deposit/success/",
]


@pytest.mark.parametrize("path", OLD_PAYMENT_CALLBACKS)
def test_the_old_open_deposit_callbacks_are_404(path):
    """Deliberately not carried over from the old backend (SPEC.md): deposits are credited
    only on a gateway's verified notification (tests/payments)."""
    client = APIClient()
    assert client.get(path).status_code == 404
    assert client.post(path, {"tran_id": "X", "amount": "5000", "status": "VALID"}).status_code == 404


def test_the_old_self_service_manager_signup_and_deposit_callback_are_gone():
    """Deliberately not carried over from the old backend (SPEC.md). The only routes that
    mention success are the gateway's browser returns, which only redirect (tests/payments)."""
    routes = {route for route, _ in api_routes()}
    assert not [route for route in routes if "callback" in route]
    assert [route for route in routes if "success" in route] == ["/api/payments/sslcommerz/success/"]
    assert APIClient().post("/api/account/manager/", {}, format="json").status_code == 401
