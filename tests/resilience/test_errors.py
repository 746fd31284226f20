"""Every error is JSON: a briefly missing database is 503 with Retry-After, a bug is 500."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from tests.conftest import client_for, on_postgres
from tests.factories import CustomerFactory, fund
from transactions.models import Transaction


@pytest.fixture
def funded_pair(db):
    sender, recipient = CustomerFactory(), CustomerFactory()
    fund(sender, "100.00")
    return sender, recipient


def transfer(client, recipient, amount="10.00"):
    return client.post(
        "/api/balance-transfer/", {"amount": amount, "recipient_account_no": recipient.account.account_no},
        format="json",
    )


def test_a_database_failure_in_an_api_view_is_503_json_with_retry_after(funded_pair):
    sender, recipient = funded_pair
    with mock.patch("transactions.services.lock_accounts", side_effect=OperationalError("server closed the connection")):
        response = transfer(client_for(sender.user), recipient)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "2"
    assert response.json()["code"] == "service_unavailable"
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_a_bug_outside_drf_is_500_json_with_the_request_id(db):
    client = Client(raise_request_exception=False)
    with mock.patch("bank_project.health._database_ok", side_effect=ZeroDivisionError):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Something went wrong on our side. It has been logged; please quote the request id.",
        "code": "server_error",
        "request_id": "abc-123",
    }


def test_a_database_failure_outside_drf_is_503_json(db):
    client = Client(raise_request_exception=False)
    with mock.patch("bank_project.health._database_ok", side_effect=OperationalError("too many clients")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert response["Retry-After"] == "2"


def test_a_bug_in_an_api_view_is_500_json(funded_pair):
    sender, recipient = funded_pair
    client = client_for(sender.user)
    client.raise_request_exception = False
    with mock.patch("transactions.services.lock_accounts", side_effect=KeyError("bug")):
        response = transfer(client, recipient)
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_unknown_paths_answer_json_404(db):
    response = Client().get("/no/such/page")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_sqlite_schema_errors_are_bugs_not_503():
    import sqlite3

    from bank_project.api.failures import is_transient_db_error

    def wrapped(cause):
        try:
            raise OperationalError(str(cause)) from cause
        except OperationalError as exc:
            return exc

    assert not is_transient_db_error(wrapped(sqlite3.OperationalError("no such table: x")))
    assert is_transient_db_error(wrapped(sqlite3.OperationalError("database is locked")))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_past_lock_timeout_answers_503_and_changes_nothing(settings):
    assert on_postgres()
    settings.API_THROTTLE = False
    sender, recipient = CustomerFactory(), CustomerFactory()
    fund(sender, "100.00")
    with connection.cursor() as cursor:
        for name, ms in settings.DB_TIME_LIMITS_MS.items():  # every connection starts with them
            cursor.execute("SELECT setting::int FROM pg_settings WHERE name = %s", [name])
            assert cursor.fetchone()[0] == ms
        cursor.execute("SET lock_timeout = '2s'")  # production's (the test settings allow more)

    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT 1 FROM transactions_account WHERE id = %s FOR UPDATE", [recipient.account.pk])
                locked.set()
                release.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(5)
        import time

        started = time.perf_counter()
        response = transfer(client_for(sender.user), recipient)
        elapsed = time.perf_counter() - started
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "2"
    assert 1.9 < elapsed < 4
    sender.account.refresh_from_db()
    assert sender.account.balance == Decimal("100.00")
    assert not Transaction.objects.filter(kind="transfer").exists()
