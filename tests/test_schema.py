"""The OpenAPI schema: generated without a single warning (a warning usually means an
endpoint whose request or response body is not documented), valid OpenAPI 3, served at
/api/schema/ with Swagger UI at /api/docs/."""

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

# Every path of the brief (seed/README.original.md and SPEC.md), documented once.
BRIEF_PATHS = {
    "/api/register/": {"post"},
    "/api/login/": {"post"},
    "/api/logout/": {"post"},
    "/api/update-profile/": {"get", "put", "patch"},
    "/api/update-password/": {"put"},
    "/api/customer/": {"get", "post"},
    "/api/customer/{id}/": {"get", "patch"},
    "/api/manager/": {"get", "post"},
    "/api/manager/{id}/": {"get", "patch"},
    "/api/deposit/": {"get", "post"},
    "/api/withdrawal/": {"get", "post"},
    "/api/balance-transfer/": {"get", "post"},
    "/api/transactions/": {"get"},
    "/api/transactions/{id}/": {"get"},
    "/api/transactions/{id}/reverse/": {"post"},
    "/api/loans/": {"get", "post"},
    "/api/loans/{id}/": {"get"},
    "/api/loans/{id}/approve/": {"post"},
    "/api/loans/{id}/reject/": {"post"},
    "/api/loans/{id}/repay/": {"post"},
    "/api/services/": {"get", "post"},
    "/api/services/{id}/": {"get", "put", "patch", "delete"},
    "/api/contact/": {"get", "post"},
    "/api/contact/{id}/handle/": {"post"},
}
LEGACY_PREFIXES = ("/api/auth/", "/api/account/", "/api/transactions/deposit", "/api/transactions/withdrawal",
                   "/api/transactions/balance-transfer", "/api/transactions/loans")


@pytest.fixture(scope="module")
def generated(django_db_blocker):
    with django_db_blocker.unblock():
        GENERATOR_STATS.reset()
        schema = SchemaGenerator().get_schema(request=None, public=True)
        warnings, errors = dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)
        GENERATOR_STATS.reset()
    return schema, warnings, errors


def test_schema_generates_without_warnings_or_errors(generated):
    _, warnings, errors = generated
    assert not errors, "schema errors:\n" + "\n".join(errors)
    assert not warnings, "schema warnings:\n" + "\n".join(warnings)


def test_schema_is_valid_openapi_3(generated):
    schema, _, _ = generated
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def test_every_brief_endpoint_is_documented_once_and_old_paths_are_not(generated):
    schema, _, _ = generated
    paths = schema["paths"]
    for path, methods in BRIEF_PATHS.items():
        assert path in paths, f"{path} missing from the schema"
        assert methods <= set(paths[path]), f"{path}: {methods - set(paths[path])} not documented"
    assert not [path for path in paths if path.startswith(LEGACY_PREFIXES)]


def test_every_operation_documents_its_responses_and_bodies(generated):
    schema, _, _ = generated
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("responses"), f"{method.upper()} {path}: no responses"
            if method in ("post", "put", "patch"):
                # A browser's return from a payment gateway succeeds by redirecting (302).
                success = [code for code in operation["responses"] if code.startswith(("2", "3"))]
                assert success, f"{method.upper()} {path}: no success response"


def test_jwt_bearer_auth_is_documented(generated):
    schema, _, _ = generated
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.items() <= schemes["jwtAuth"].items()
    # Public endpoints say so: anonymous ({}) is one of their security options.
    assert {} in schema["paths"]["/api/services/"]["get"]["security"]
    assert {} in schema["paths"]["/api/contact/"]["post"]["security"]
    assert {} not in schema["paths"]["/api/contact/"]["get"]["security"]


@pytest.mark.django_db
def test_schema_endpoint_serves_it(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/services/" in document["paths"]
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Bank API"


@pytest.mark.django_db
def test_swagger_ui_renders():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger-ui" in response.content
    assert b"/api/schema/" in response.content
