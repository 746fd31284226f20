"""Four eyes in the admin: a large loan approved there waits like in the API; the
approvals admin approves through the same service (not the maker, once)."""

from decimal import Decimal

import pytest

from approvals.models import ApprovalRequest
from loans import services as loans
from loans.models import Loan
from tests.factories import CustomerFactory, ManagerFactory
from tests.helpers import balance

pytestmark = pytest.mark.django_db


def test_a_large_loan_approved_in_the_admin_waits_for_a_second_manager(client, settings):
    settings.FOUR_EYES_LOAN_AMOUNT = Decimal("500.00")
    customer = CustomerFactory()
    loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    maker, checker = ManagerFactory().user, ManagerFactory().user
    client.force_login(maker)
    response = client.post("/admin/loans/loan/", {"action": "approve_selected", "_selected_action": [loan.pk]},
                           follow=True)
    assert b"waiting for a second staff member" in response.content
    assert Loan.objects.get(pk=loan.pk).status == "pending"
    approval = ApprovalRequest.objects.get()

    client.post("/admin/approvals/approvalrequest/", {"action": "approve_selected", "_selected_action": [approval.pk]})
    assert ApprovalRequest.objects.get().status == "pending"  # the maker cannot check it

    client.force_login(checker)
    response = client.post("/admin/approvals/approvalrequest/",
                           {"action": "approve_selected", "_selected_action": [approval.pk]}, follow=True)
    assert response.status_code == 200
    assert ApprovalRequest.objects.get().status == "executed"
    assert Loan.objects.get(pk=loan.pk).status == "approved" and balance(customer) == Decimal("1000.00")
