"""The sandbox gateway: the backend's own checkout page, for development, demos and tests.

Its page (payments.views.SandboxCheckoutView) stands in for a gateway's hosted checkout.
Pressing Pay, Fail or Cancel builds the notification a real gateway would send, signed
with HMAC-SHA256 under a key only this server holds, and hands it to the same
`payments.services.handle_notification` that `POST /api/payments/sandbox/notify/` uses:
the signature is checked there like any gateway's, so a forged one is refused.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from ..errors import InvalidNotification, InvalidSignature
from . import CANCELLED, FAILED, SUCCESS, Checkout, Confirmation

SIGNED_FIELDS = ("reference", "status", "amount", "currency", "transaction_id")
STATUSES = (SUCCESS, FAILED, CANCELLED)


def _signature(fields: dict) -> str:
    message = "&".join(f"{name}={fields[name]}" for name in SIGNED_FIELDS)
    secret = settings.PAYMENT_SANDBOX_SECRET or settings.SECRET_KEY
    return salted_hmac("bank.payments.sandbox.notification", message, secret=secret, algorithm="sha256").hexdigest()


class SandboxGateway:
    name = "sandbox"

    def is_configured(self) -> bool:
        return True

    def start(self, payment, *, callback_base_url: str) -> Checkout:
        session_id = secrets.token_urlsafe(24)
        path = reverse("payments-sandbox-checkout", args=[session_id])
        return Checkout(session_id=session_id, payment_url=callback_base_url.rstrip("/") + path)

    def notification_for(self, payment, status: str) -> dict:
        """The signed notification the sandbox 'gateway' sends when its page is used."""
        if status not in STATUSES:
            raise ValueError(f"unknown sandbox outcome {status!r}")
        fields = {
            "reference": payment.reference,
            "status": status,
            "amount": f"{payment.amount:.2f}",
            "currency": payment.currency,
            "transaction_id": "SBX" + secrets.token_hex(8).upper() if status == SUCCESS else "",
        }
        return {**fields, "signature": _signature(fields)}

    def verify_notification(self, data) -> Confirmation:
        try:
            fields = {name: str(data[name]) for name in SIGNED_FIELDS}
            signature = str(data["signature"])
        except (KeyError, TypeError) as exc:
            raise InvalidNotification(
                f"The notification must carry {', '.join(SIGNED_FIELDS)} and signature."
            ) from exc
        if not constant_time_compare(signature, _signature(fields)):
            raise InvalidSignature()
        if fields["status"] not in STATUSES:
            raise InvalidNotification(f"Unknown status {fields['status']!r}.")
        try:
            amount = Decimal(fields["amount"])
        except InvalidOperation as exc:
            raise InvalidNotification("The amount is not a number.") from exc
        return Confirmation(
            reference=fields["reference"],
            outcome=fields["status"],
            amount=amount,
            currency=fields["currency"],
            transaction_id=fields["transaction_id"],
        )

    def query(self, payment) -> Confirmation | None:
        # The sandbox delivers its notification while the page's button is being answered:
        # it knows nothing that the payment does not already say.
        return None
