"""OpenAPI schema hooks."""

LEGACY_PREFIXES = ("/api/auth/", "/api/account/", "/api/transactions/deposit", "/api/transactions/withdrawal",
                   "/api/transactions/balance-transfer", "/api/transactions/loans")


def exclude_legacy_paths(endpoints, **kwargs):
    """The old web client's paths serve the same views; document each view once."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(LEGACY_PREFIXES)]
