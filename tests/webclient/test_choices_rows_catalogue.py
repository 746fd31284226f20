"""Issue 11, slices 1-3: the client's choice values, manager rows with the parties' details,
the catalogue as a bare array, contact's service_interested."""

import io
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Customer
from accounts.tokens import issue_tokens
from contact.models import ContactMessage
from loans import services as lending
from services.services import create_service
from tests.conftest import client_for
from tests.factories import CustomerFactory, UserFactory, fund
from tests.helpers import count_queries
from transactions import services as ledger

pytestmark = pytest.mark.django_db

FORM = {"mobile_no": "01712345678", "nid": "1987654321", "age": 34, "monthly_income": 42000,
        "account_type": "SAVINGS", "religion": "ISLAM", "image": "", "occupation": "Teacher"}


def token_client(user) -> APIClient:
    """The web client's way: `Authorization: Token <token>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_tokens(user)['token']}")
    return client


@pytest.mark.parametrize("account_type, religion", [
    ("SAVINGS", "ISLAM"), ("checking", "JUDAISM"), ("Business", "atheism"), ("JOINT", "Christianity"),
    ("current", "OTHER"), ("SAVINGS", "hinduism"), ("SAVINGS", "BUDDHISM"),
])
def test_customer_form_accepts_the_clients_choices_in_any_case(account_type, religion):
    client = token_client(UserFactory())
    response = client.post("/api/account/customer/", {**FORM, "account_type": account_type, "religion": religion},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["account_type"] == account_type.upper()
    assert response.json()["religion"] == religion.upper()
    rows = client.get("/api/account/customer/").json()
    assert rows[0]["account_type"] == account_type.upper()


def test_unknown_choice_is_a_field_error():
    response = token_client(UserFactory()).post("/api/account/customer/", {**FORM, "religion": "pastafarian"},
                                                format="json")
    assert response.status_code == 400
    assert "religion" in response.json()


def test_openapi_lists_the_clients_enums():
    schema = APIClient().get("/api/schema/?format=json").json()
    enums = schema["components"]["schemas"]
    assert enums["AccountTypeEnum"]["enum"] == ["SAVINGS", "CHECKING", "BUSINESS", "JOINT", "CURRENT"]
    assert {"ISLAM", "CHRISTIANITY", "HINDUISM", "BUDDHISM", "JUDAISM", "ATHEISM", "OTHER"} <= set(
        enums["ReligionEnum"]["enum"])


def test_data_migration_upper_cases_existing_rows():
    from importlib import import_module

    from django.apps import apps

    customer = CustomerFactory(religion="ISLAM")
    Customer.objects.filter(pk=customer.pk).update(account_type="savings", religion="islam")
    import_module("accounts.migrations.0004_upper_case_choices").to_upper(apps, None)
    customer.refresh_from_db()
    assert (customer.account_type, customer.religion) == ("SAVINGS", "ISLAM")


PARTY = ("name", "image", "account_type", "account_no", "mobile_no", "email")


@pytest.fixture
def history(manager):
    alice = CustomerFactory(image="https://img.example/alice.png")
    bob = CustomerFactory(image="https://img.example/bob.png")
    fund(alice, "5000.00")
    ledger.withdraw(account=alice.account, amount=Decimal("100"), performed_by=alice.user)
    ledger.transfer(source=alice.account, recipient_account_no=bob.account.account_no, amount=Decimal("50"),
                    performed_by=alice.user)
    return alice, bob


@pytest.mark.parametrize("path", ["/api/transactions/deposit/", "/api/transactions/withdrawal/"])
def test_manager_movement_rows_carry_the_customer_details(history, manager, path):
    alice, _ = history
    rows = token_client(manager.user).get(path).json()
    row = rows[0]
    assert {f"customer_{name}" for name in PARTY} <= set(row)
    assert row["customer_account_no"] == alice.account.account_no
    assert row["customer_email"] == alice.user.email
    assert row["customer_mobile_no"] == alice.mobile_no
    assert row["customer_image"] == alice.image
    assert row["customer_account_type"] == "SAVINGS"
    assert row["customer_name"]
    assert {"id", "amount", "timestamp"} <= set(row)


def test_manager_transfer_rows_carry_both_parties(history, manager):
    alice, bob = history
    row = token_client(manager.user).get("/api/transactions/balance-transfer/").json()[0]
    for party in ("sender", "recipient"):
        assert {f"{party}_{name}" for name in PARTY} <= set(row)
    assert row["sender_email"] == alice.user.email and row["recipient_email"] == bob.user.email
    assert row["sender_image"] == alice.image and row["recipient_mobile_no"] == bob.mobile_no
    assert {"id", "sender", "recipient_account_no", "recipient_name", "amount", "timestamp"} <= set(row)


def test_customer_rows_never_show_the_other_partys_contact_details(history):
    alice, bob = history
    for user in (alice.user, bob.user):
        for path in ("/api/transactions/balance-transfer/", "/api/transactions/deposit/",
                     "/api/transfers/", "/api/transactions/withdrawal/"):
            response = token_client(user).get(path)
            body = response.content.decode()
            other = bob if user == alice.user else alice
            assert other.mobile_no not in body and other.user.email not in body and other.image not in body
    row = token_client(bob.user).get("/api/transactions/balance-transfer/").json()[0]
    assert row["sender"] == alice.account.account_no and row["sender_name"]


def test_manager_loan_rows_carry_the_customer_details(manager, customer_client, customer):
    fund(customer, "100.00")
    assert customer_client.post("/api/transactions/loans/", {"amount_requested": 20000},
                                format="json").status_code == 201
    row = token_client(manager.user).get("/api/transactions/loans/").json()[0]
    assert row["customer_email"] == customer.user.email
    assert {f"customer_{name}" for name in PARTY} <= set(row)
    own = customer_client.get("/api/transactions/loans/").json()[0]
    assert "customer_email" not in own and {"id", "amount_requested", "amount_approved", "status",
                                             "request_date"} <= set(own)


def test_manager_lists_keep_a_constant_number_of_queries(manager):
    client = client_for(manager.user)
    paths = ["/api/transactions/deposit/", "/api/transactions/withdrawal/", "/api/transactions/balance-transfer/",
             "/api/transactions/loans/"]
    alice = CustomerFactory()
    fund(alice, "100000.00")

    def grow():
        bob = CustomerFactory()
        fund(bob, "10.00")
        ledger.withdraw(account=alice.account, amount=Decimal("1"), performed_by=alice.user)
        ledger.transfer(source=alice.account, recipient_account_no=bob.account.account_no, amount=Decimal("1"),
                        performed_by=alice.user)
        lending.request_loan(customer=bob, amount_requested=Decimal("1000"))

    grow()
    before = {path: count_queries(client, path) for path in paths}
    for _ in range(4):
        grow()
    assert {path: count_queries(client, path) for path in paths} == before


def test_services_are_a_bare_array_unless_a_page_is_asked_for(api_client):
    create_service(name="Savings", display_order=2, static_image="services/savings.svg")
    create_service(name="Loans", display_order=1, image="https://img.example/loans.png")
    create_service(name="Hidden", is_active=False)
    rows = api_client.get("/api/services/").json()
    assert isinstance(rows, list)
    assert [row["name"] for row in rows] == ["Loans", "Savings"]
    assert rows[0]["image"] == "https://img.example/loans.png"
    assert rows[1]["image"] == "http://testserver/static/services/savings.svg"
    assert {"id", "name", "description", "image"} <= set(rows[0])
    paged = api_client.get("/api/services/?page_size=1").json()
    assert paged["count"] == 2 and len(paged["results"]) == 1
    assert api_client.get("/api/services/?page=1").json()["count"] == 2


def test_seeded_service_images_are_served_by_the_backend(settings):
    settings.DEBUG = True  # seed_demo refuses with DEBUG off (without --force)
    call_command("seed_demo", stdout=io.StringIO())
    rows = APIClient().get("/api/services/").json()
    assert len(rows) == 4 and all(row["image"].startswith("http://testserver/static/services/") for row in rows)
    for row in rows:
        assert finders.find(row["image"].split("/static/", 1)[1]), row["image"]


def test_contact_keeps_service_interested(api_client, manager):
    body = {"name": "Visitor", "email": "v@example.com", "phone": "01712345678",
            "service_interested": "Home Loan", "message": "Please call me back."}
    assert api_client.post("/api/contact/", body, format="json").status_code == 201
    assert ContactMessage.objects.get().service_interested == "Home Loan"
    managers = client_for(manager.user)
    assert managers.get("/api/contact/").json()["results"][0]["service_interested"] == "Home Loan"
    csv = managers.get("/api/contact/?format=csv").content.decode()
    assert "service_interested" in csv.splitlines()[0] and "Home Loan" in csv
    too_long = api_client.post("/api/contact/", {**body, "service_interested": "x" * 101}, format="json")
    assert too_long.status_code == 400 and "service_interested" in too_long.json()
