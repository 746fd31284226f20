from decimal import Decimal

import pytest
from django.db.models import Sum

from payments import services
from payments.gateways import SUCCESS, Confirmation
from payments.models import Payment
from transactions.audit import find_ledger_problems
from transactions.models import Account
from transactions.selectors import internal_balance

from .fake_sslcommerz import FakeSSLCommerz


def start(customer, amount="5000.00") -> Payment:
    """A pending sandbox payment for `customer`, as the deposit endpoint makes it."""
    return services.start_payment(
        account=customer.account, amount=Decimal(amount), user=customer.user, callback_base_url="http://testserver"
    )


def held(customer, amount="5000.00") -> Payment:
    """A paid sandbox payment its gateway rated high risk: held, nothing credited."""
    payment = start(customer, amount)
    services.settle(gateway_name="sandbox", source="notification", confirmation=Confirmation(
        reference=payment.reference, outcome=SUCCESS, amount=payment.amount, currency=payment.currency,
        transaction_id="SBX-RISKY", risk_level="1", risk_title="Risky", high_risk=True,
    ))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.HELD
    return payment


def clearing_balance() -> Decimal:
    """gateway_clearing's balance, all its shards rolled up."""
    return internal_balance(Account.GATEWAY_CLEARING)


def assert_ledger_clean():
    """The audit is clean and gateway_clearing holds minus the sum of completed payments."""
    assert find_ledger_problems() == []
    completed = Payment.objects.filter(status="completed").aggregate(total=Sum("amount"))["total"] or Decimal("0")
    assert clearing_balance() == -completed


@pytest.fixture
def gateway(settings):
    """SSLCommerz as the configured gateway, played by a local fake over HTTP."""
    with FakeSSLCommerz() as fake:
        settings.PAYMENT_GATEWAY = "sslcommerz"
        settings.SSLCOMMERZ_STORE_ID = fake.store_id
        settings.SSLCOMMERZ_STORE_PASSWORD = fake.store_passwd
        settings.SSLCOMMERZ_API_URL = fake.url
        settings.SSLCOMMERZ_TIMEOUT_SECONDS = 5
        yield fake


@pytest.fixture(autouse=True)
def ledger_audit_after_each_test(db):
    """After every test here, before its database is rolled back: the ledger audit."""
    yield
    assert_ledger_clean()
