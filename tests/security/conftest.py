"""A small bank with two customers (each with money, a transfer, a pending and an approved
loan), a manager and the services/contact records, for the OWASP API Top 10 tests."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from contact import services as inbox
from loans import services as loans
from services import services as catalogue
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from transactions import services as ledger


def _customer_with_history(manager, recipient=None):
    customer = CustomerFactory()
    fund(customer, "5000.00")
    transfer = None
    if recipient is not None:
        transfer = ledger.transfer(source=customer.account, recipient_account_no=recipient.account.account_no,
                                   amount=Decimal("10.00"), performed_by=customer.user).transaction
    pending = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    approved = loans.request_loan(customer=customer, amount_requested=Decimal("2000.00"), term_months=6)
    approved = loans.approve_loan(loan=approved, amount_approved=Decimal("2000.00"), decided_by=manager.user)
    return customer, transfer, pending, approved


@pytest.fixture
def bank(db, settings):
    settings.API_THROTTLE = False  # throttles have their own tests (API4)
    manager = ManagerFactory()
    alice, _, _, _ = _customer_with_history(manager)
    bob, bob_transfer, bob_pending, bob_approved = _customer_with_history(manager, recipient=alice)
    service = catalogue.create_service(name="Fixed deposit", description="Lock money away.")
    message = inbox.submit_message(name="Eve", email="eve@example.com", message="Call me back", service=service)
    return SimpleNamespace(
        manager=manager, alice=alice, bob=bob,
        bob_transfer=bob_transfer, bob_pending=bob_pending, bob_approved=bob_approved,
        service=service, message=message,
        alice_client=client_for(alice.user), bob_client=client_for(bob.user), manager_client=client_for(manager.user),
    )
