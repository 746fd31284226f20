"""Domain errors: a business rule said no. Plain Python, so models and services can raise
them without importing the web layer; bank_project.api.exceptions turns them into responses."""

from rest_framework import status


class DomainError(Exception):
    """A business rule said no. Subclasses set `code`, `status_code` and `default_message`."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "domain_error"
    default_message = "The request was refused."

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = "The request conflicts with the current state."
