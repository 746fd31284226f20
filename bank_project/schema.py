"""OpenAPI schema hooks."""

LEGACY_PREFIXES = ("/api/auth/", "/api/account/", "/api/transactions/deposit", "/api/transactions/withdrawal",
                   "/api/transactions/balance-transfer", "/api/transactions/loans")


def exclude_legacy_paths(endpoints, **kwargs):
    """The old web client's paths serve the same views; document each view once."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(LEGACY_PREFIXES)]


# Imported with the preprocessing hook above, before any operation is parsed: registers
# the JWT scheme for our authentication class, so the schema documents `Authorization:
# Bearer <access>` (and Swagger UI's "Authorize" offers it) instead of only the session cookie.
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme  # noqa: E402
from drf_spectacular.plumbing import build_bearer_security_scheme_object  # noqa: E402


class BankJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.BankJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        # OpenAPI has room for one prefix; `Token <jwt>` (the old client's) works all the same.
        return build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION", token_prefix="Bearer", bearer_format="JWT"
        )


def mock_request_as_manager(method, path, view, original_request, **kwargs):
    """Describe every view as a manager sees it, whoever asks for the schema.

    The views scope their querysets to the caller (`selectors.*_for(request.user)`); with
    drf-spectacular's anonymous mock request those would fail on `user.is_manager`. An
    unsaved superuser makes them build (never run) the manager's queryset instead. This
    user exists only inside schema generation; real requests never see it.
    """
    from django.contrib.auth import get_user_model
    from drf_spectacular.plumbing import build_mock_request

    request = build_mock_request(method, path, view, original_request, **kwargs)
    request.user = get_user_model()(username="openapi-schema", is_superuser=True)
    return request
