import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Customer, Manager, User
from contact.models import ContactMessage
from loans.models import Installment, Loan
from services.models import Service
from transactions.audit import find_ledger_problems
from transactions.models import Account, Entry, Transaction

MODELS = [User, Customer, Manager, Account, Transaction, Entry, Loan, Installment, Service, ContactMessage]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def balances():
    return dict(Account.objects.values_list("account_no", "balance"))


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_bank_and_the_ledger_balances():
    output = seed()
    assert find_ledger_problems() == []
    manager = Manager.objects.select_related("user").get(user__username="manager")
    password = re.search(r"manager\s+username: manager\s+password: (\S+)", output).group(1)
    assert authenticate(username="manager", password=password) == manager.user

    customers = Customer.objects.select_related("account", "user").order_by("user__username")
    assert [c.user.username for c in customers] == ["Customer", "alice", "bob", "carol"]
    assert all(c.account.balance > 0 for c in customers)
    assert Transaction.objects.filter(kind=Transaction.Kind.DEPOSIT).count() == 4
    assert Transaction.objects.filter(kind=Transaction.Kind.TRANSFER).count() == 5
    assert sorted(Loan.objects.values_list("status", flat=True)) == ["approved", "pending"]
    approved = Loan.objects.get(status="approved")
    assert approved.installments.count() == approved.term_months
    assert Service.objects.filter(is_active=True).count() == 4
    for customer in customers:
        assert customer.account.account_no in output


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    seed()
    first_counts, first_balances = counts(), balances()
    output = seed()
    assert counts() == first_counts
    assert balances() == first_balances
    assert find_ledger_problems() == []
    # A random password (DEBUG is off in tests) is not shown again: it no longer is known.
    assert "password unchanged" in output


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_debug_uses_the_fixed_demo_password_and_shows_it_on_every_run():
    seed()
    output = seed()
    assert "password: Demo-Bank-2024!" in output
    assert authenticate(username="alice", password="Demo-Bank-2024!") is not None


@pytest.mark.django_db
def test_seed_demo_refuses_a_username_taken_by_the_wrong_role(customer):
    User.objects.filter(pk=customer.user.pk).update(username="manager")
    before = counts()
    with pytest.raises(CommandError, match="is a customer, not a manager"):
        seed()
    assert counts() == before  # nothing half-seeded


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced():
    before = counts()
    out = StringIO()
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=out)
    assert counts() == before


@pytest.mark.django_db
def test_the_web_clients_demo_logins_work():
    from rest_framework.test import APIClient

    seed()
    client = APIClient()
    manager = client.post("/api/auth/login/", {"username": "Manager", "password": "123456a@"}, format="json")
    assert manager.status_code == 200 and manager.json()["role"] == "manager"
    customer = client.post("/api/auth/login/", {"username": "Customer", "password": "123456a@"}, format="json")
    assert customer.status_code == 200 and customer.json()["role"] == "customer"
    client.credentials(HTTP_AUTHORIZATION=f"Token {customer.json()['token']}")
    me = client.get("/api/account/customer/").json()[0]
    assert me["balance"] == "24300.00"  # 25000 opening - 1500 sent + 800 received
    assert len(client.get("/api/transactions/balance-transfer/").json()) == 2
    assert len(client.get("/api/transactions/deposit/").json()) == 1
