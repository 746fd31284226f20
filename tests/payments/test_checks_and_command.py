from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.checks import check_payment_gateway, check_sandbox_not_in_production
from payments.models import Payment

from .conftest import start

pytestmark = pytest.mark.django_db


def ids(messages):
    return [message.id for message in messages]


def test_an_unknown_gateway_is_a_startup_error(settings):
    settings.PAYMENT_GATEWAY = "paypal"
    assert ids(check_payment_gateway(None)) == ["payments.E001"]


def test_sslcommerz_without_credentials_is_a_startup_error(settings):
    settings.PAYMENT_GATEWAY = "sslcommerz"
    settings.SSLCOMMERZ_STORE_ID = settings.SSLCOMMERZ_STORE_PASSWORD = ""
    assert ids(check_payment_gateway(None)) == ["payments.E002"]
    settings.SSLCOMMERZ_STORE_ID, settings.SSLCOMMERZ_STORE_PASSWORD = "store", "secret"
    assert check_payment_gateway(None) == []


def test_the_sandbox_in_production_is_a_deploy_warning(settings):
    settings.PAYMENT_GATEWAY, settings.DEBUG = "sandbox", False
    assert ids(check_sandbox_not_in_production(None)) == ["payments.W001"]
    settings.PAYMENT_GATEWAY = ""
    assert check_sandbox_not_in_production(None) == []


def test_reconcile_payments_command_expires_overdue_payments(customer):
    overdue = start(customer)
    Payment.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("reconcile_payments", stdout=out)
    assert "checked: 1" in out.getvalue() and "expired: 1" in out.getvalue()
    assert Payment.objects.get().status == "expired"


def test_expiry_follows_the_setting(customer, settings):
    settings.PAYMENT_EXPIRY_MINUTES = 5
    payment = start(customer)
    assert timedelta(minutes=4) < payment.expires_at - timezone.now() <= timedelta(minutes=5)
