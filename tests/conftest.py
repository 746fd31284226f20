import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import issue_tokens
from transactions.services import ensure_internal_accounts

from .factories import CustomerFactory, ManagerFactory, fund


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "bank_project.postgresql")


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def internal_accounts(request):
    """The bank's own accounts (cash, loans receivable, ...), made by a migration. A
    transactional test empties the database after it ran, so every test that uses the
    database gets them back here; the services never re-create them."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db"}:
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_internal_accounts()


def client_for(user) -> APIClient:
    """An API client sending a real JWT for `user`, as the web client does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}")
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def other_customer(db):
    return CustomerFactory()


@pytest.fixture
def manager(db):
    return ManagerFactory()


@pytest.fixture
def customer_client(customer):
    return client_for(customer.user)


@pytest.fixture
def other_client(other_customer):
    return client_for(other_customer.user)


@pytest.fixture
def manager_client(manager):
    return client_for(manager.user)


@pytest.fixture
def checker_client(db):
    """A second manager: four eyes (FOUR_EYES_ENABLED) need one to approve what the first asked."""
    return client_for(ManagerFactory().user)


def approve(checker, response):
    """The checker approves the four-eyes request a 202 `response` filed; returns its result."""
    assert response.status_code == 202, response.content
    approved = checker.post(f"/api/approvals/{response.json()['approval_id']}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "executed"
    return approved.json()["result"]


@pytest.fixture
def funded_customer(customer):
    fund(customer, "1000.00")
    return customer


@pytest.fixture
def db_vendor(db):
    return connection.vendor
