"""API5 (function level authorization), the Django admin: managers log in through the
admin's own login form; customers and plain users cannot, whatever they try."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    return client


def test_manager_logs_in_through_the_admin_login_form(manager):
    """Django's admin form refuses non-staff users; managers are not staff (found by the
    browser test: a manager could not log in at all)."""
    client = login(manager.user.username)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/loans/loan/").status_code == 200


@pytest.mark.parametrize("who", ["customer", "plain_user"])
def test_customer_and_plain_user_are_refused_by_the_admin_login(customer, who):
    user = customer.user if who == "customer" else UserFactory()
    client = login(user.username)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert b"correct username and password" in response.content


def test_inactive_manager_is_refused(manager):
    manager.user.is_active = False
    manager.user.save()
    client = login(manager.user.username)
    assert client.get("/admin/").status_code == 302


def test_manager_cannot_reach_users_and_so_cannot_make_anyone_staff_or_superuser(manager, customer):
    client = login(manager.user.username)
    assert client.get("/admin/accounts/user/").status_code == 403
    response = client.post(f"/admin/accounts/user/{customer.user.pk}/change/",
                           {"username": customer.user.username, "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 403
    customer.user.refresh_from_db()
    assert not customer.user.is_staff and not customer.user.is_superuser
