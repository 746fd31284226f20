"""Domain errors of the payments app; the project's exception handler turns them into 4xx/5xx
with a stable `code`."""

from rest_framework import status

from bank_project.errors import Conflict, DomainError


class PaymentsUnavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "payments_unavailable"
    default_message = (
        "Online deposits are not available right now: no payment gateway is set up. "
        "Please try again later, or deposit cash at a branch."
    )


class GatewayError(DomainError):
    """The gateway could not be reached or answered something we cannot use."""

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "payment_gateway_error"
    default_message = "The payment gateway did not answer as expected; nothing was charged or credited. Try again shortly."


class InvalidNotification(DomainError):
    code = "invalid_payment_notification"
    default_message = "The payment notification is malformed."


class InvalidSignature(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "invalid_payment_signature"
    default_message = "The payment notification's signature does not verify."


class NotVerified(DomainError):
    """The gateway's own validation API does not confirm what the notification claims."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "payment_not_verified"
    default_message = "The payment gateway does not confirm this payment."


class PaymentNotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "payment_not_found"
    default_message = "No payment has this reference."


class PaymentMismatch(DomainError):
    code = "payment_mismatch"
    default_message = "The notification's amount or currency differs from the payment's."


class PaymentNotCreditable(Conflict):
    code = "payment_not_creditable"
    default_message = "The payment is confirmed but its account cannot receive money now; it stays pending."


class PaymentNotHeld(Conflict):
    code = "payment_not_held"
    default_message = "Only a payment held for review can be released or refused."
