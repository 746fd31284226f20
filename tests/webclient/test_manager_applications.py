"""Issue 11: the web client's manager form files an application; another manager decides."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.admin import ManagerApplicationAdmin
from accounts.models import Manager, ManagerApplication
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FORM = {"mobile_no": "01712345678", "nid": "1987654321", "age": 40, "religion": "ISLAM", "image": ""}


def token_client(user) -> APIClient:
    login = APIClient().post("/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    return client


@pytest.mark.parametrize("path", ["/api/account/manager/", "/api/manager/"])
def test_the_manager_form_files_an_application_then_a_manager_approves(path, manager):
    applicant = UserFactory()
    client = token_client(applicant)
    response = client.post(path, FORM, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["detail"]
    assert not Manager.objects.filter(user=applicant).exists()
    assert client.get("/api/manager-applications/").status_code == 403  # not a manager yet

    boss = client_for(manager.user)
    rows = boss.get("/api/manager-applications/?status=pending").json()["results"]
    assert [row["username"] for row in rows] == [applicant.username]
    approved = boss.post(f"/api/manager-applications/{rows[0]['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == manager.user.username
    login = APIClient().post("/api/auth/login/", {"username": applicant.username, "password": PASSWORD},
                             format="json").json()
    assert login["role"] == "manager"
    profile = Manager.objects.get(user=applicant)
    assert (profile.nid, profile.religion, profile.age) == ("1987654321", "ISLAM", 40)
    assert boss.post(f"/api/manager-applications/{rows[0]['id']}/approve/").status_code == 409


def test_reject_with_a_reason_and_apply_again(manager):
    applicant = UserFactory()
    client = token_client(applicant)
    first = client.post("/api/account/manager/", FORM, format="json").json()["id"]
    assert client.post("/api/account/manager/", FORM, format="json").status_code == 409  # one pending at a time
    boss = client_for(manager.user)
    response = boss.post(f"/api/manager-applications/{first}/reject/", {"reason": "Unknown to us"}, format="json")
    assert response.status_code == 200 and response.json()["decision_reason"] == "Unknown to us"
    assert boss.post(f"/api/manager-applications/{first}/approve/").status_code == 409
    assert not Manager.objects.filter(user=applicant).exists()
    assert client.post("/api/account/manager/", FORM, format="json").status_code == 202


def test_customers_and_managers_cannot_apply(customer, manager):
    response = token_client(customer.user).post("/api/account/manager/", FORM, format="json")
    assert response.status_code == 400 and "Customers cannot become managers" in response.json()["detail"]
    response = token_client(manager.user).post("/api/account/manager/", FORM, format="json")
    assert response.status_code == 400 and response.json()["detail"] == "You are already a manager."
    assert not ManagerApplication.objects.exists()


def test_a_bad_form_is_a_field_error_and_files_nothing():
    response = token_client(UserFactory()).post("/api/account/manager/", {**FORM, "age": 12, "nid": "12"},
                                                format="json")
    assert response.status_code == 400 and {"age", "nid"} <= set(response.json())
    assert not ManagerApplication.objects.exists()


def test_a_manager_posting_with_user_still_creates_directly(manager):
    user = UserFactory()
    response = client_for(manager.user).post("/api/manager/", {**FORM, "user": user.pk}, format="json")
    assert response.status_code == 201 and Manager.objects.filter(user=user).exists()
    other = UserFactory()
    response = client_for(UserFactory()).post("/api/manager/", {**FORM, "user": other.pk}, format="json")
    assert response.status_code == 403 and not Manager.objects.filter(user=other).exists()


def test_only_managers_decide(customer, manager):
    applicant = UserFactory()
    application = token_client(applicant).post("/api/account/manager/", FORM, format="json").json()["id"]
    for client in (client_for(customer.user), client_for(applicant), APIClient()):
        assert client.post(f"/api/manager-applications/{application}/approve/").status_code in (401, 403)
        assert client.get("/api/manager-applications/").status_code in (401, 403)
    assert not Manager.objects.filter(user=applicant).exists()


def test_the_admin_approves_and_rejects(manager):
    first, second = UserFactory(), UserFactory()
    token_client(first).post("/api/account/manager/", FORM, format="json")
    token_client(second).post("/api/account/manager/", {**FORM, "nid": "1987654322"}, format="json")
    admin = ManagerApplicationAdmin(ManagerApplication, site)
    request = RequestFactory().post("/admin/")
    request.user = manager.user
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    admin.approve(request, ManagerApplication.objects.filter(user=first))
    admin.reject(request, ManagerApplication.objects.filter(user=second))
    assert Manager.objects.filter(user=first).exists() and not Manager.objects.filter(user=second).exists()
    assert ManagerApplication.objects.get(user=second).status == "rejected"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_create_one_manager(settings):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.factories import ManagerFactory

    settings.API_THROTTLE = False
    applicant = UserFactory()
    application = token_client(applicant).post("/api/account/manager/", FORM, format="json").json()["id"]
    clients = [client_for(ManagerFactory().user) for _ in range(2)] * 3
    barrier = threading.Barrier(len(clients))

    def approve(client):
        try:
            barrier.wait(timeout=10)
            return client.post(f"/api/manager-applications/{application}/approve/").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(approve, clients))
    assert sorted(statuses) == [200] + [409] * 5
    assert Manager.objects.filter(user=applicant).count() == 1
