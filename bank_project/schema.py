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
