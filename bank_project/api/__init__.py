"""The project-wide API conventions: errors, pagination, renderers, throttles, idempotency."""
