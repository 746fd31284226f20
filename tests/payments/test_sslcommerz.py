"""SSLCommerz against a local fake server that speaks its documented protocol over HTTP:
session, IPN signature (verify_key/verify_sign), validation API, query API, returns."""

import logging
from decimal import Decimal

import pytest

from payments import services
from payments.gateways.sslcommerz import verify_sign
from payments.models import Payment
from tests.helpers import balance
from transactions.models import Transaction

from .conftest import clearing_balance
from .fake_sslcommerz import sign

pytestmark = pytest.mark.django_db
IPN = "/api/payments/sslcommerz/ipn/"


def start(customer, amount="5000.00"):
    return services.start_payment(
        account=customer.account, amount=Decimal(amount), user=customer.user,
        callback_base_url="https://bank.example",
    )



def test_signature_matches_the_documented_algorithm():
    """md5 of the signed fields plus md5(store_passwd), sorted by key, as key=value&..."""
    import hashlib

    data = {"tran_id": "T1", "status": "VALID", "amount": "10.00", "unsigned": "x", "verify_key": "tran_id,status,amount"}
    by_hand = hashlib.md5(
        ("amount=10.00&status=VALID&store_passwd=" + hashlib.md5(b"pw").hexdigest() + "&tran_id=T1").encode()
    ).hexdigest()
    assert verify_sign(data, "pw") == by_hand


def test_session_is_opened_with_our_callbacks_and_the_gateway_page_is_the_payment_url(customer, gateway):
    payment = start(customer)
    session = gateway.sessions[payment.reference]
    assert session["total_amount"] == "5000.00" and session["currency"] == "BDT"
    assert session["ipn_url"] == "https://bank.example/api/payments/sslcommerz/ipn/"
    assert session["success_url"] == "https://bank.example/api/payments/sslcommerz/success/"
    assert session["fail_url"].endswith("/sslcommerz/fail/") and session["cancel_url"].endswith("/sslcommerz/cancel/")
    assert payment.gateway == "sslcommerz" and payment.gateway_session_id == session["sessionkey"]
    assert payment.payment_url == f"{gateway.url}/EasyCheckOut/{session['sessionkey']}"


def test_a_gateway_that_refuses_the_session_leaves_no_payment(customer, gateway, settings):
    from payments.errors import GatewayError

    settings.SSLCOMMERZ_STORE_PASSWORD = "wrong"
    with pytest.raises(GatewayError):
        start(customer)
    assert not Payment.objects.exists()


def test_a_gateway_that_is_down_leaves_no_payment(customer, gateway):
    from payments.errors import GatewayError

    gateway.down = True
    with pytest.raises(GatewayError):
        start(customer)
    assert not Payment.objects.exists()


def test_a_valid_ipn_is_checked_with_the_validation_api_then_credited_once(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    first = api_client.post(IPN, ipn)  # form-encoded, as SSLCommerz posts it
    assert first.status_code == 200 and first.json() == {"reference": payment.reference, "status": "completed"}
    assert ("/validator/api/validationserverAPI.php") in [path for path, _ in gateway.calls]
    assert balance(customer) == Decimal("5000.00") and clearing_balance() == Decimal("-5000.00")
    again = api_client.post(IPN, ipn)  # SSLCommerz retries; the validation API now says VALIDATED
    assert again.status_code == 200 and balance(customer) == Decimal("5000.00")
    assert Transaction.objects.count() == 1
    assert Payment.objects.get().gateway_transaction_id == ipn["val_id"]


def test_a_forged_ipn_is_refused_without_asking_the_gateway(customer, gateway, api_client, caplog):
    payment = start(customer)
    forged = sign(gateway.pay(payment.reference), "not-the-store-password")
    with caplog.at_level(logging.WARNING, logger="bank.payments"):
        response = api_client.post(IPN, forged)
    assert response.status_code == 403 and response.json()["code"] == "invalid_payment_signature"
    assert not [path for path, _ in gateway.calls if "validation" in path]
    assert balance(customer) == 0
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_an_ipn_with_an_edited_amount_fails_its_signature(customer, gateway, api_client):
    payment = start(customer, "10.00")
    ipn = {**gateway.pay(payment.reference), "amount": "10000.00", "currency_amount": "10000.00"}
    assert api_client.post(IPN, ipn).status_code == 403
    assert balance(customer) == 0


def test_an_ipn_that_does_not_sign_the_fields_we_rely_on_is_refused(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    partial = {key: value for key, value in ipn.items() if key not in ("verify_key", "verify_sign")}
    partial["verify_key"] = "amount,currency"
    partial["verify_sign"] = verify_sign(partial, gateway.store_passwd)
    assert api_client.post(IPN, partial).status_code == 403
    assert balance(customer) == 0


def test_a_signed_ipn_the_validation_api_does_not_confirm_is_refused(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    gateway.attempts.clear()  # the gateway knows no such val_id
    response = api_client.post(IPN, ipn)
    assert response.status_code == 403 and response.json()["code"] == "payment_not_verified"
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"


def test_a_validated_amount_that_differs_is_refused_and_logged(customer, gateway, api_client, caplog):
    payment = start(customer, "5000.00")
    ipn = gateway.pay(payment.reference)
    gateway.validation_overrides = {"currency_amount": "50.00", "amount": "50.00"}
    with caplog.at_level(logging.WARNING, logger="bank.payments"):
        response = api_client.post(IPN, ipn)
    assert response.status_code == 400 and response.json()["code"] == "payment_mismatch"
    assert balance(customer) == 0
    assert any("nothing credited" in record.getMessage() for record in caplog.records)


def test_a_validated_currency_that_differs_is_refused(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    gateway.validation_overrides = {"currency_type": "USD"}
    assert api_client.post(IPN, ipn).status_code == 400
    assert balance(customer) == 0


def test_the_validation_api_unreachable_credits_nothing_and_asks_for_a_retry(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    gateway.down = True
    assert api_client.post(IPN, ipn).status_code == 502
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"
    gateway.down = False
    assert api_client.post(IPN, ipn).status_code == 200
    assert balance(customer) == Decimal("5000.00")


def test_an_ipn_for_a_transaction_we_never_started_is_404(customer, gateway, api_client):
    """Paid and validated at the gateway (another shop of the store, a test), unknown here."""
    gateway.sessions["PAYNOTOURS"] = {"total_amount": "5000.00", "currency": "BDT"}
    response = api_client.post(IPN, gateway.pay("PAYNOTOURS"))
    assert response.status_code == 404 and response.json()["code"] == "payment_not_found"
    assert balance(customer) == 0


def test_a_validation_answer_for_another_transaction_is_refused(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    ipn = sign({**{k: v for k, v in ipn.items() if k not in ("verify_key", "verify_sign")}, "tran_id": "PAYNOPE"},
               gateway.store_passwd)
    response = api_client.post(IPN, ipn)
    assert response.status_code == 403 and response.json()["code"] == "payment_not_verified"
    assert balance(customer) == 0


@pytest.mark.parametrize("status, expected", [("FAILED", "failed"), ("CANCELLED", "cancelled")])
def test_failed_and_cancelled_ipns_end_the_payment_without_money(customer, gateway, api_client, status, expected):
    payment = start(customer)
    response = api_client.post(IPN, gateway.pay(payment.reference, status=status))
    assert response.status_code == 200 and response.json()["status"] == expected
    assert balance(customer) == 0


@pytest.mark.parametrize("path, target", [
    ("/api/payments/sslcommerz/success/", "http://localhost:3000/transaction?status=success"),
    ("/api/payments/sslcommerz/fail/", "http://localhost:3000/fail?status=failed"),
    ("/api/payments/sslcommerz/cancel/", "http://localhost:3000/cancel?status=cancelled"),
])
def test_browser_returns_redirect_to_the_client_and_credit_nothing(customer, gateway, api_client, path, target):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    response = api_client.post(path, ipn)  # the browser brings the gateway's fields along
    assert response.status_code == 302 and response["Location"] == target
    assert balance(customer) == 0 and Payment.objects.get().status == "pending"
    assert api_client.post(path, ipn).status_code == 302 and balance(customer) == 0  # replayed


def test_success_return_before_and_after_the_ipn_credits_exactly_once(customer, gateway, api_client):
    payment = start(customer)
    ipn = gateway.pay(payment.reference)
    api_client.post("/api/payments/sslcommerz/success/", ipn)
    api_client.post(IPN, ipn)
    api_client.post("/api/payments/sslcommerz/success/", ipn)
    assert balance(customer) == Decimal("5000.00") and Transaction.objects.count() == 1


def test_reconcile_credits_a_payment_whose_ipn_never_came(customer, gateway):
    payment = start(customer)
    gateway.pay(payment.reference, status="FAILED")
    gateway.pay(payment.reference)  # retried in the same session and paid; the IPN is lost
    counts = services.reconcile()
    assert counts["completed"] == 1
    assert Payment.objects.get().status == "completed" and balance(customer) == Decimal("5000.00")
    assert services.reconcile()["completed"] == 0 and balance(customer) == Decimal("5000.00")


def test_reconcile_credits_a_paid_payment_that_had_expired(customer, gateway):
    from datetime import timedelta

    from django.utils import timezone

    payment = start(customer)
    gateway.pay(payment.reference)
    Payment.objects.filter(pk=payment.pk).update(status="expired", expires_at=timezone.now() - timedelta(hours=1))
    services.reconcile()
    payment.refresh_from_db()
    assert payment.status == "completed" and "expired" in payment.status_detail
    assert balance(customer) == Decimal("5000.00")


def test_reconcile_leaves_an_unpaid_payment_pending_until_it_expires(customer, gateway):
    from datetime import timedelta

    payment = start(customer)
    gateway.pay(payment.reference, status="FAILED")
    services.reconcile()
    assert Payment.objects.get().status == "pending"
    services.reconcile(now=payment.expires_at + timedelta(seconds=1))
    assert Payment.objects.get().status == "failed" and balance(customer) == 0


def test_reconcile_survives_the_gateway_being_down(customer, gateway):
    start(customer)
    gateway.down = True
    assert services.reconcile()["errors"] == 1
    assert Payment.objects.get().status == "pending"


def test_sslcommerz_endpoints_are_404_while_another_gateway_is_configured(customer, api_client, settings):
    settings.PAYMENT_GATEWAY = "sandbox"
    assert api_client.post(IPN, {"tran_id": "X"}).status_code == 404
    assert api_client.post("/api/payments/sslcommerz/success/", {}).status_code == 404
