"""Domain errors and the one place that turns them into HTTP responses.

Apps raise subclasses of `bank_project.errors.DomainError` (InsufficientFunds,
AccountFrozen, LoanNotPending, ...). The handler answers `{"detail": <message>, "code": <stable code>}` with the error's
status. A database that is briefly away (unreachable, out of connections, past a time
limit) answers 503 with Retry-After (bank_project.api.failures). Other unknown exceptions
are left alone: they are bugs and must show up as 500s (JSON, from urls.handler500).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from bank_project.errors import DomainError

from .failures import is_transient_db_error, transient_failure_response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


# The old web client's paths (bank_project/urls.py mounts them): it shows every value of an
# error body to people, so there the code travels in the X-Error-Code header and the body
# keeps only what a person reads. /api/transactions/ itself and /api/transactions/<id>/...
# are the brief's ledger paths and keep `code`.
LEGACY_PREFIXES = (
    "/api/auth/", "/api/account/", "/api/transactions/deposit/", "/api/transactions/withdrawal/",
    "/api/transactions/balance-transfer/", "/api/transactions/loans/",
)


def api_exception_handler(exc, context):
    return _for_legacy_client(_handle(exc, context), context)


def _for_legacy_client(response, context):
    request = context.get("request")
    if response is None or request is None or not request.path.startswith(LEGACY_PREFIXES):
        return response
    if isinstance(response.data, dict) and "code" in response.data:
        code = response.data.pop("code")
        response["X-Error-Code"] = str(code)
        # simplejwt's token errors list the token's class and type: machine talk, left out here.
        response.data.pop("messages", None)
    return response


def _handle(exc, context):
    if is_transient_db_error(exc):
        set_rollback()
        return transient_failure_response(context["request"], exc)
    if isinstance(exc, DomainError):
        response = Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )

    response = exception_handler(exc, context)
    if response is None:
        return None
    # Give non-field errors a stable machine-readable code beside the human message.
    if isinstance(response.data, dict) and "detail" in response.data and "code" not in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or _code_for(exc)
    return response


def _code_for(exc):
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, DjangoPermissionDenied):
        return "permission_denied"
    return getattr(exc, "default_code", "error")
