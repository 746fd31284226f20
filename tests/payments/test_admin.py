from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from payments.models import Payment

from .conftest import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(manager):
    client = Client()
    client.force_login(manager.user)
    return client


def test_managers_list_payments_with_filters_and_cannot_edit_them(admin_client, customer):
    payment = start(customer)
    listing = admin_client.get("/admin/payments/payment/?status__exact=pending&gateway=sandbox")
    assert listing.status_code == 200 and payment.reference in listing.content.decode()
    assert payment.reference not in admin_client.get("/admin/payments/payment/?status__exact=completed").content.decode()
    assert admin_client.get(f"/admin/payments/payment/{payment.pk}/change/").status_code == 200
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403
    admin_client.post(f"/admin/payments/payment/{payment.pk}/change/", {"status": "completed"})
    admin_client.post(f"/admin/payments/payment/{payment.pk}/delete/", {"post": "yes"})
    assert Payment.objects.get().status == "pending"


def test_the_reconcile_action_expires_an_overdue_payment(admin_client, customer):
    payment = start(customer)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = admin_client.post("/admin/payments/payment/", {
        "action": "reconcile_selected", "_selected_action": [payment.pk],
    })
    assert response.status_code == 302
    assert Payment.objects.get().status == "expired"


def test_customers_do_not_reach_payments_in_the_admin(customer):
    client = Client()
    client.force_login(customer.user)
    assert client.get("/admin/payments/payment/").status_code == 302
