"""API6:2023 Unrestricted Access to Sensitive Business Flows.

The flows an abuser would automate: replaying a money movement, deciding a loan twice,
reversing twice, overdrawing, moving more than the limit, paying into or out of a frozen
account, over-repaying a loan, borrowing beyond the rules. Each is refused with a clear
4xx and the ledger stays balanced (audit after every test).
"""

from decimal import Decimal

import pytest

from loans.models import Loan
from tests.conftest import approve, client_for
from tests.factories import ManagerFactory
from tests.helpers import balance
from transactions.audit import find_ledger_problems
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger_stays_balanced(db):
    yield
    assert find_ledger_problems() == []


def test_replayed_withdrawal_with_its_key_moves_money_once(bank):
    client, key = bank.alice_client, {"HTTP_IDEMPOTENCY_KEY": "atm-7f3a"}
    before = balance(bank.alice.account)
    responses = [client.post("/api/withdrawal/", {"amount": "100.00"}, format="json", **key) for _ in range(5)]
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert balance(bank.alice.account) == before - Decimal("100.00")


def test_same_key_with_another_body_is_422(bank):
    client, key = bank.alice_client, {"HTTP_IDEMPOTENCY_KEY": "atm-8b1c"}
    assert client.post("/api/withdrawal/", {"amount": "1.00"}, format="json", **key).status_code == 201
    response = client.post("/api/withdrawal/", {"amount": "999.00"}, format="json", **key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_loan_is_decided_once(bank):
    path = f"/api/loans/{bank.bob_pending.pk}"
    assert bank.manager_client.post(f"{path}/approve/", {"amount_approved": "1000.00"},
                                    format="json").status_code == 200
    again = bank.manager_client.post(f"{path}/approve/", {"amount_approved": "1000.00"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "loan_not_pending"
    assert bank.manager_client.post(f"{path}/reject/", {}, format="json").status_code == 409
    assert bank.bob_client.post(f"{path}/cancel/", {}, format="json").status_code == 409
    assert Transaction.objects.filter(kind="loan_disbursement", destination=bank.bob.account).count() == 2


def test_approval_cannot_exceed_the_request(bank):
    response = bank.manager_client.post(f"/api/loans/{bank.bob_pending.pk}/approve/",
                                        {"amount_approved": "1000.01"}, format="json")
    assert response.status_code == 400
    assert Loan.objects.get(pk=bank.bob_pending.pk).status == "pending"


def test_a_transaction_is_reversed_once(bank):
    path = f"/api/transactions/{bank.bob_transfer.pk}/reverse/"
    approve(client_for(ManagerFactory().user), bank.manager_client.post(path, {"reason": "fraud"}, format="json"))
    again = bank.manager_client.post(path, {"reason": "fraud"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    assert Transaction.objects.filter(reverses=bank.bob_transfer).count() == 1


def test_no_overdraft_whatever_the_amount_format(bank):
    before = balance(bank.alice.account)
    for amount in (str(before + Decimal("0.01")), float(before) + 1, "1000000.00"):
        response = bank.alice_client.post("/api/withdrawal/", {"amount": amount}, format="json")
        assert response.status_code == 400
    assert balance(bank.alice.account) == before


def test_amounts_above_the_per_transaction_limit_are_refused(bank, settings):
    settings.MAX_TRANSACTION_AMOUNT = Decimal("500.00")  # read when the serializer field is built
    response = bank.alice_client.post("/api/deposit/", {"amount": "500.01"}, format="json")
    assert response.status_code == 400
    assert "500.00" in response.json()["amount"][0]
    assert bank.alice_client.post("/api/deposit/", {"amount": "500.00"}, format="json").status_code == 201


def test_frozen_account_neither_sends_nor_receives(bank):
    acct = bank.bob.account.account_no
    assert bank.manager_client.post(f"/api/accounts/{acct}/freeze/").status_code == 200
    before = (balance(bank.alice.account), balance(bank.bob.account))
    sent = bank.bob_client.post("/api/balance-transfer/",
                                {"amount": "1.00", "recipient_account_no": bank.alice.account.account_no},
                                format="json")
    received = bank.alice_client.post("/api/balance-transfer/", {"amount": "1.00", "recipient_account_no": acct},
                                      format="json")
    withdrawn = bank.bob_client.post("/api/withdrawal/", {"amount": "1.00"}, format="json")
    for response in (sent, received, withdrawn):
        assert response.status_code == 400 and response.json()["code"] == "account_frozen"
    assert (balance(bank.alice.account), balance(bank.bob.account)) == before


def test_transfer_to_oneself_is_refused(bank):
    response = bank.alice_client.post("/api/balance-transfer/",
                                      {"amount": "1.00", "recipient_account_no": bank.alice.account.account_no},
                                      format="json")
    assert response.status_code == 400 and response.json()["code"] == "same_account"


def test_over_repaying_a_loan_is_refused(bank):
    loan = bank.bob_approved
    loan.refresh_from_db()
    too_much = loan.outstanding_principal + loan.outstanding_interest + Decimal("0.01")
    response = bank.bob_client.post(f"/api/loans/{loan.pk}/repay/", {"amount": str(too_much)}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "loan_overpayment"


def test_borrowing_beyond_income_or_limit_is_refused(bank):
    for amount in ("999999999.00", str(bank.alice.monthly_income * 100)):
        response = bank.alice_client.post("/api/loans/", {"amount_requested": amount}, format="json")
        assert response.status_code == 400, amount
    assert not Loan.objects.filter(customer=bank.alice, status="pending", amount_requested__gt=10**6).exists()


def test_customer_cannot_repay_from_someone_elses_loan_or_account(bank):
    response = bank.alice_client.post(f"/api/loans/{bank.bob_approved.pk}/repay/", {"amount": "1.00"},
                                      format="json")
    assert response.status_code == 404


def test_a_new_customer_cannot_move_money_they_do_not_have(db):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    client = client_for(customer.user)
    assert client.post("/api/withdrawal/", {"amount": "0.01"}, format="json").status_code == 400
    other = CustomerFactory()
    assert client.post("/api/balance-transfer/", {"amount": "0.01", "recipient_account_no": other.account.account_no},
                       format="json").status_code == 400
