"""API4:2023 Unrestricted Resource Consumption.

Throttles on login (tests/security/test_api2_*), registration, the contact form and every
money-moving POST; page sizes, legacy lists and CSV exports capped; bodies above
DATA_UPLOAD_MAX_MEMORY_SIZE refused with 413; over-long fields and absurd numbers refused
with 400 before any work is done. Counters live in the shared cache, not in one process.
"""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from contact.models import ContactMessage
from loans.models import Loan
from payments.models import Payment
from tests.conftest import client_for
from tests.factories import CustomerFactory
from transactions import services as ledger
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """Low limits for the scope under test; the rest as configured."""

    def set_rate(scope, rate):
        settings.API_THROTTLE = True
        settings.THROTTLE_RATES = {**django_settings.THROTTLE_RATES, scope: rate}

    return set_rate


def test_registration_is_throttled_per_address(rates):
    rates("register", "2/hour")
    client = APIClient()
    statuses = [
        client.post("/api/register/", {"username": f"bulk{n}", "password": "Bulk-Pass-4242",
                                       "confirm_password": "Bulk-Pass-4242"}, format="json").status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 429, 429]
    assert APIClient(REMOTE_ADDR="10.1.2.3").post(
        "/api/register/", {"username": "elsewhere", "password": "Bulk-Pass-4242", "confirm_password": "Bulk-Pass-4242"},
        format="json").status_code == 201


def test_contact_form_is_throttled_per_address_even_when_logged_in(rates, customer):
    rates("contact", "2/min")
    body = {"name": "Spammer", "email": "spam@example.com", "message": "Buy now"}
    anonymous = [APIClient().post("/api/contact/", body, format="json").status_code for _ in range(3)]
    assert anonymous == [201, 201, 429]
    # Logging in does not buy a fresh allowance: the count is per address.
    assert client_for(customer.user).post("/api/contact/", body, format="json").status_code == 429
    assert ContactMessage.objects.count() == 2


def test_money_movements_are_throttled_per_user_and_nothing_moves_past_the_limit(rates, customer, other_customer):
    rates("money", "3/min")
    client = client_for(customer.user)
    statuses = [client.post("/api/deposit/", {"amount": "10.00"}, format="json").status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    # A customer's deposit starts a gateway payment: three started, none past the limit.
    assert Payment.objects.filter(customer=customer).count() == 3
    response = client.post("/api/loans/", {"amount_requested": "100.00"}, format="json")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert not Loan.objects.exists()
    # Reading history is not a money movement; another user has an allowance of their own.
    assert client.get("/api/deposit/").status_code == 200
    assert client_for(other_customer.user).post("/api/deposit/", {"amount": "1.00"},
                                                 format="json").status_code == 201


def test_every_user_has_a_general_request_limit(rates, customer):
    rates("user", "5/min")
    client = client_for(customer.user)
    statuses = [client.get("/api/update-profile/").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]


def test_throttle_counters_live_in_a_cache_every_worker_shares():
    backend = django_settings.CACHES["default"]["BACKEND"]
    assert backend in ("django.core.cache.backends.db.DatabaseCache", "django_redis.cache.RedisCache")


@pytest.fixture
def many_deposits(customer):
    for _ in range(105):
        ledger.deposit(account=customer.account, amount=Decimal("1.00"), performed_by=None)
    return customer


@pytest.mark.parametrize("path", ["/api/deposit/", "/api/transactions/", "/api/accounts/", "/api/customer/"])
def test_page_size_is_capped_at_100(many_deposits, manager_client, path):
    response = manager_client.get(path, {"page_size": 100000})
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 100
    if path in ("/api/deposit/", "/api/transactions/"):
        assert len(response.json()["results"]) == 100


def test_old_client_lists_are_capped_at_the_newest_100(many_deposits):
    rows = client_for(many_deposits.user).get("/api/transactions/deposit/").json()
    assert isinstance(rows, list) and len(rows) == 100
    newest = Transaction.objects.filter(destination=many_deposits.account).order_by("-id")[:100]
    assert [row["id"] for row in rows] == [tx.pk for tx in newest]


def test_csv_exports_are_capped(many_deposits, settings):
    settings.CSV_EXPORT_MAX_ROWS = 7
    client = client_for(many_deposits.user)
    lines = client.get("/api/transactions/", {"format": "csv"}).content.decode().strip().splitlines()
    assert len(lines) == 1 + 7
    statement = client.get("/api/statement/").json()
    assert len(statement["entries"]) == 7 and statement["truncated"] is True


@pytest.mark.parametrize("path", ["/api/deposit/", "/api/contact/", "/api/register/", "/api/login/"])
def test_bodies_over_the_limit_are_413_and_store_nothing(customer, path):
    huge = "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    body = {"amount": "10.00", "description": huge, "name": huge, "email": "a@example.com", "message": huge,
            "username": huge, "password": huge}
    response = client_for(customer.user).post(path, body, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Transaction.objects.exists() and not ContactMessage.objects.exists()


@pytest.mark.parametrize("path, body, field", [
    ("/api/deposit/", {"amount": "10.00", "description": "d" * 256}, "description"),
    ("/api/contact/", {"name": "n", "email": "a@example.com", "message": "m" * 5001}, "message"),
    ("/api/contact/", {"name": "n" * 101, "email": "a@example.com", "message": "hello"}, "name"),
    ("/api/loans/", {"amount_requested": "100.00", "purpose": "p" * 256}, "purpose"),
    ("/api/loans/", {"amount_requested": "100.00", "term_months": 10**20}, "term_months"),
    ("/api/deposit/", {"amount": "1e100000"}, "amount"),
    ("/api/deposit/", {"amount": 10**400}, "amount"),
])
def test_over_long_fields_and_absurd_numbers_are_400(customer, path, body, field):
    response = client_for(customer.user).post(path, body, format="json")
    assert response.status_code == 400, response.content
    # A field error, or for a number no float can hold, the parser's own message.
    assert field in response.json() or response.json()["code"] == "parse_error"


def test_deeply_nested_json_is_a_400_not_a_crash(customer):
    nested = "[" * 5000 + "]" * 5000
    response = client_for(customer.user).post("/api/deposit/", nested, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_customer_cannot_pile_up_loan_requests(customer, settings):
    settings.LOAN_MAX_OPEN_PER_CUSTOMER = 2
    client = client_for(customer.user)
    statuses = [client.post("/api/loans/", {"amount_requested": "100.00"}, format="json").status_code
                for _ in range(3)]
    assert statuses == [201, 201, 400]
    assert Loan.objects.count() == 2


def test_many_customers_do_not_slow_a_customer_list_down(manager_client, django_assert_max_num_queries):
    for _ in range(15):
        CustomerFactory()
    with django_assert_max_num_queries(12):
        assert manager_client.get("/api/customer/").status_code == 200
