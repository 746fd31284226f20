"""Payments over HTTP: the sandbox checkout page, its notify endpoint, the payment lists."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from payments import services
from payments.gateways import SUCCESS
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment
from tests.conftest import client_for
from tests.helpers import balance, count_queries
from transactions.models import Transaction

from .conftest import start

pytestmark = pytest.mark.django_db
NOTIFY = "/api/payments/sandbox/notify/"



def path_of(payment):
    return payment.payment_url.removeprefix("http://testserver")


# --- the sandbox checkout page -------------------------------------------------------------


def test_the_page_shows_amount_reference_and_three_buttons(customer):
    payment = start(customer)
    page = Client().get(path_of(payment))  # a browser, no login
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "5,000.00" in html and payment.reference in html
    for outcome in ("success", "fail", "cancel"):
        assert f'name="outcome" value="{outcome}"' in html


def test_pay_redirects_to_the_client_and_credits_once(customer):
    payment = start(customer)
    browser = Client()
    response = browser.post(path_of(payment), {"outcome": "success"})
    assert response.status_code == 302 and response["Location"] == "http://localhost:3000/transaction?status=success"
    assert balance(customer) == Decimal("5000.00")
    again = browser.post(path_of(payment), {"outcome": "success"})  # the same POST replayed
    assert again.status_code == 302 and balance(customer) == Decimal("5000.00")
    assert Transaction.objects.count() == 1
    assert "nothing left to pay" in browser.get(path_of(payment)).content.decode()


@pytest.mark.parametrize("outcome, target, status", [
    ("cancel", "http://localhost:3000/cancel?status=cancelled", "cancelled"),
    ("fail", "http://localhost:3000/fail?status=failed", "failed"),
])
def test_fail_and_cancel_redirect_and_credit_nothing(customer, outcome, target, status):
    payment = start(customer)
    response = Client().post(path_of(payment), {"outcome": outcome})
    assert response.status_code == 302 and response["Location"] == target
    assert Payment.objects.get().status == status and balance(customer) == 0


def test_frontend_url_comes_from_settings(customer, settings):
    settings.FRONTEND_URL = "https://bank.example"
    response = Client().post(path_of(start(customer)), {"outcome": "cancel"})
    assert response["Location"] == "https://bank.example/cancel?status=cancelled"


def test_an_unknown_outcome_is_400_and_credits_nothing(customer):
    response = Client().post(path_of(start(customer)), {"outcome": "steal"})
    assert response.status_code == 400 and balance(customer) == 0


def test_an_unknown_session_is_404():
    assert Client().get("/payments/sandbox/not-a-session/").status_code == 404


def test_the_sandbox_page_is_404_unless_the_sandbox_is_the_gateway(customer, settings):
    payment = start(customer)
    settings.PAYMENT_GATEWAY = ""
    assert Client().get(path_of(payment)).status_code == 404
    assert Client().post(path_of(payment), {"outcome": "success"}).status_code == 404
    assert balance(customer) == 0


def test_paying_after_expiry_credits(customer):
    payment = start(customer)
    Payment.objects.filter(pk=payment.pk).update(status="expired", expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().post(path_of(payment), {"outcome": "success"}).status_code == 302
    assert balance(customer) == Decimal("5000.00")


# --- the sandbox notify endpoint ---------------------------------------------------------


def test_notify_endpoint_credits_a_signed_notification_once(customer, api_client):
    payment = start(customer)
    message = SandboxGateway().notification_for(payment, SUCCESS)
    assert api_client.post(NOTIFY, message, format="json").json() == {"reference": payment.reference, "status": "completed"}
    assert api_client.post(NOTIFY, message).status_code == 200  # form-encoded, again
    assert balance(customer) == Decimal("5000.00") and Transaction.objects.count() == 1


def test_notify_endpoint_refuses_a_forged_signature(customer, api_client):
    payment = start(customer)
    forged = {**SandboxGateway().notification_for(payment, SUCCESS), "signature": "f" * 64}
    response = api_client.post(NOTIFY, forged, format="json")
    assert response.status_code == 403 and response.json()["code"] == "invalid_payment_signature"
    assert balance(customer) == 0


def test_notify_endpoint_refuses_an_unsigned_body(customer, api_client):
    response = api_client.post(NOTIFY, {"reference": start(customer).reference, "status": "success"}, format="json")
    assert response.status_code == 400 and balance(customer) == 0


@pytest.mark.parametrize("body", ["[]", '"x"', "{", "null"])
def test_notify_endpoint_refuses_garbage(api_client, body):
    assert api_client.post(NOTIFY, body, content_type="application/json").status_code == 400


# --- reading payments ------------------------------------------------------------------


def test_customers_see_their_own_payments_only(customer, other_customer, customer_client):
    mine, theirs = start(customer), start(other_customer)
    rows = customer_client.get("/api/payments/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["status"] == "pending" and rows[0]["amount"] == "5000.00"
    assert customer_client.get(f"/api/payments/{mine.pk}/").status_code == 200
    assert customer_client.get(f"/api/payments/{theirs.pk}/").status_code == 404


def test_managers_see_all_and_filter_by_status_and_date(customer, other_customer, manager_client):
    paid, pending = start(customer), start(other_customer)
    services.handle_notification(gateway_name="sandbox", data=SandboxGateway().notification_for(paid, SUCCESS))
    everything = manager_client.get("/api/payments/").json()
    assert everything["count"] == 2
    completed = manager_client.get("/api/payments/?status=completed").json()["results"]
    assert [row["id"] for row in completed] == [paid.pk] and completed[0]["transaction"].startswith("TX")
    today = timezone.localdate().isoformat()
    assert manager_client.get(f"/api/payments/?date_from={today}&date_to={today}").json()["count"] == 2
    assert manager_client.get("/api/payments/?date_from=2000-01-01&date_to=2000-01-02").json()["count"] == 0
    assert manager_client.get("/api/payments/?status=bogus").status_code == 400
    assert manager_client.get(f"/api/payments/?account={pending.account.account_no}").json()["count"] == 1


def test_payment_lists_need_a_login(api_client):
    assert api_client.get("/api/payments/").status_code == 401


def test_a_user_without_a_profile_sees_nothing(db):
    from tests.factories import UserFactory

    assert client_for(UserFactory()).get("/api/payments/").status_code == 403


def test_payment_list_query_count_does_not_grow_with_rows(customer, manager_client):
    for _ in range(5):
        start(customer, "10.00")
    five = count_queries(manager_client, "/api/payments/")
    for _ in range(20):
        start(customer, "10.00")
    assert count_queries(manager_client, "/api/payments/") == five
