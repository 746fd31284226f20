"""Payment gateways, chosen by settings.PAYMENT_GATEWAY.

A gateway opens a checkout for a payment (`start`), turns a notification it sent into a
verified `Confirmation` (`verify_notification`: signature first, then, where the gateway
offers one, its validation API) and answers what it knows about a payment (`query`, for
`reconcile_payments`). It never touches the database: payments.services settles what a
gateway confirmed, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from ..errors import PaymentsUnavailable

if TYPE_CHECKING:
    from ..models import Payment

SUCCESS, FAILED, CANCELLED = "success", "failed", "cancelled"


@dataclass(frozen=True)
class Checkout:
    session_id: str
    payment_url: str
    transaction_id: str = ""


@dataclass(frozen=True)
class Confirmation:
    """What a verified gateway message says about one payment."""

    reference: str
    outcome: str  # SUCCESS, FAILED or CANCELLED
    amount: Decimal | None = None
    currency: str | None = None
    transaction_id: str = ""
    detail: str = ""
    # The gateway's fraud screening, as it says it (kept on the payment), and whether it
    # means "hold the service and verify the customer": such a payment is not credited
    # automatically (payments.services holds it for staff review).
    risk_level: str = ""
    risk_title: str = ""
    high_risk: bool = False
    extra: dict = field(default_factory=dict)


class Gateway(Protocol):
    name: str

    def start(self, payment: Payment, *, callback_base_url: str) -> Checkout: ...

    def verify_notification(self, data) -> Confirmation: ...

    def query(self, payment: Payment) -> Confirmation | None: ...


def gateway_named(name: str) -> Gateway:
    from .sandbox import SandboxGateway
    from .sslcommerz import SSLCommerzGateway

    gateways = {SandboxGateway.name: SandboxGateway, SSLCommerzGateway.name: SSLCommerzGateway}
    if name not in gateways:
        raise PaymentsUnavailable()
    return gateways[name]()


def configured_gateway_name() -> str:
    """The gateway new payments go through ("" when none is configured)."""
    return (settings.PAYMENT_GATEWAY or "").strip().lower()


def active_gateway() -> Gateway:
    """The configured gateway, or PaymentsUnavailable (503) when there is none."""
    name = configured_gateway_name()
    if not name:
        raise PaymentsUnavailable()
    gateway = gateway_named(name)
    if not gateway.is_configured():
        raise PaymentsUnavailable()
    return gateway
