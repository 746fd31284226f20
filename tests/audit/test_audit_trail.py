"""The audit trail: a row for every staff action and security event, in the action's own
transaction, with who, what, where from (IP, request id) and before/after; append-only in
the database; readable by auditors (filters, CSV) and in the admin."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import Action, AuditEvent
from audit.services import record
from loans import services as loans
from staff.capabilities import AUDITOR
from staff.roles import set_role
from tests.conftest import client_for
from tests.factories import PASSWORD, CustomerFactory, ManagerFactory
from transactions.models import Transaction

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("id")


def test_update_and_delete_on_the_audit_table_fail(manager_client, manager):
    manager_client.get(f"/api/customer/{CustomerFactory().pk}/")
    event = last("customer.viewed")
    for statement in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="auth.login"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute("UPDATE audit_auditevent SET actor_username = 'nobody'"),
        lambda: connection.cursor().execute("DELETE FROM audit_auditevent"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    event.refresh_from_db()
    assert event.action == "customer.viewed" and event.actor_username == manager.user.username


def test_logins_ok_and_failed_and_password_changes(api_client, customer):
    username = customer.user.username
    assert api_client.post("/api/login/", {"username": username, "password": "wrong"},
                           format="json").status_code == 401
    failed = last("auth.login_failed")
    assert failed.actor is None and failed.actor_username == username and failed.ip == "127.0.0.1"
    response = api_client.post("/api/login/", {"username": username, "password": PASSWORD}, format="json",
                               HTTP_X_REQUEST_ID="req-login-1")
    assert response.status_code == 200
    ok = last("auth.login")
    assert ok.actor == customer.user and ok.request_id == "req-login-1"
    client = client_for(customer.user)
    assert client.put("/api/update-password/", {"old_password": PASSWORD, "new_password": "Another-Horse-43",
                                                "confirm_password": "Another-Horse-43"},
                      format="json").status_code == 200
    assert last("auth.password_changed").actor == customer.user


def test_freeze_unfreeze_reversal_teller_deposit_and_loan_decisions(customer, manager, manager_client,
                                                                     checker_client):
    account_no = customer.account.account_no
    assert manager_client.post("/api/deposit/", {"account_no": account_no, "amount": "40.00"},
                               format="json", HTTP_X_REQUEST_ID="teller-1").status_code == 201
    deposit = last("transaction.teller_deposit")
    assert deposit.actor == manager.user and deposit.request_id == "teller-1"
    assert deposit.target_type == "transactions.account" and deposit.after["amount"] == "40.00"

    assert manager_client.post(f"/api/accounts/{account_no}/freeze/").status_code == 200
    assert last("account.frozen").before == {"status": "active"} and last("account.frozen").after == {
        "status": "frozen"}
    assert manager_client.post(f"/api/accounts/{account_no}/freeze/").status_code == 409
    assert AuditEvent.objects.filter(action="account.frozen").count() == 1  # the refused one left none

    approval_id = manager_client.post(f"/api/accounts/{account_no}/unfreeze/").json()["approval_id"]
    checker_client.post(f"/api/approvals/{approval_id}/approve/")
    assert last("account.unfrozen").after["status"] == "active"

    tx = Transaction.objects.get(kind="deposit")
    approval_id = manager_client.post(f"/api/transactions/{tx.pk}/reverse/", {"reason": "wrong account"},
                                      format="json").json()["approval_id"]
    checker_client.post(f"/api/approvals/{approval_id}/approve/")
    assert last("transaction.reversed").after["reason"] == "wrong account"

    approve_me = loans.request_loan(customer=customer, amount_requested=Decimal("500.00"), term_months=6)
    reject_me = loans.request_loan(customer=customer, amount_requested=Decimal("600.00"), term_months=6)
    manager_client.post(f"/api/loans/{approve_me.pk}/approve/", {"amount_approved": "450.00"}, format="json")
    manager_client.post(f"/api/loans/{reject_me.pk}/reject/", {"reason": "income"}, format="json")
    approved, rejected = last("loan.approved"), last("loan.rejected")
    assert approved.target_id == str(approve_me.pk) and approved.after["amount_approved"] == "450.00"
    assert rejected.before == {"status": "pending"} and rejected.after == {"status": "rejected", "reason": "income"}
    assert approval_counts() == {"approval.requested": 2, "approval.approved": 2}


def approval_counts():
    counts = {}
    for action in AuditEvent.objects.filter(action__startswith="approval.").values_list("action", flat=True):
        counts[action] = counts.get(action, 0) + 1
    return counts


def test_a_customers_own_deposit_is_not_a_staff_action(customer_client):
    customer_client.post("/api/deposit/", {"amount": "10.00"}, format="json")
    assert not AuditEvent.objects.filter(action="transaction.teller_deposit").exists()


def test_staff_opening_a_profile_or_statement_is_recorded_a_customer_doing_so_is_not(
    customer, customer_client, manager, manager_client
):
    customer_client.get(f"/api/customer/{customer.pk}/")
    customer_client.get("/api/statement/")
    assert not AuditEvent.objects.filter(action__in=["customer.viewed", "statement.viewed"]).exists()
    manager_client.get(f"/api/customer/{customer.pk}/")
    manager_client.get(f"/api/statement/?account_no={customer.account.account_no}&format=csv")
    viewed = last("customer.viewed")
    assert (viewed.actor, viewed.target_type, viewed.target_id) == (manager.user, "accounts.customer", str(customer.pk))
    statement = last("statement.viewed")
    assert statement.target_id == str(customer.account.pk) and statement.after["format"] == "csv"


def test_staff_creation_and_default_role_are_recorded(manager_client):
    from tests.factories import UserFactory

    user = UserFactory()
    response = manager_client.post("/api/manager/", {"user": user.pk, "mobile_no": "01811111111",
                                                     "nid": "2111111111", "age": 40}, format="json")
    assert response.status_code == 201
    assert last("staff.created").after["roles"] == ["branch_manager"]


def test_auditors_read_the_trail_with_filters_and_csv(manager, manager_client):
    auditor = ManagerFactory().user
    set_role(auditor, AUDITOR)
    client = client_for(auditor)
    customer = CustomerFactory()
    manager_client.get(f"/api/customer/{customer.pk}/", HTTP_X_REQUEST_ID="find-me")
    rows = client.get("/api/audit/", {"request_id": "find-me"}).json()["results"]
    assert [row["action"] for row in rows] == ["customer.viewed"]
    assert rows[0]["actor_username"] == manager.user.username and rows[0]["ip"] == "127.0.0.1"
    assert client.get("/api/audit/", {"action_prefix": "customer."}).json()["results"][0]["id"] == rows[0]["id"]
    assert client.get("/api/audit/", {"actor": auditor.pk}).json()["results"] == []
    assert client.get("/api/audit/", {"at_from": "2999-01-01T00:00:00Z"}).json()["results"] == []
    assert client.get("/api/audit/", {"at_from": "yesterday"}).status_code == 400
    exported = client.get("/api/audit/", {"format": "csv", "request_id": "find-me"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [line["action"] for line in lines] == ["customer.viewed"]
    # Writes are not a thing here.
    assert client.post("/api/audit/", {}, format="json").status_code == 405


def test_admin_shows_the_trail_read_only(client, manager):
    manager.user.set_password("Admin-Pass-42")
    manager.user.save()
    assert client.login(username=manager.user.username, password="Admin-Pass-42")
    event = AuditEvent.objects.latest("id")
    assert client.get("/admin/audit/auditevent/").status_code == 200
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b"Save" not in page.content
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    teller = ManagerFactory().user
    set_role(teller, "teller")
    client.force_login(teller)
    assert client.get("/admin/audit/auditevent/").status_code == 403


def test_an_ip_filter_that_is_not_an_address_is_a_400_not_a_500(manager_client):
    """Found by fuzzing on PostgreSQL, whose inet column refuses anything but an address."""
    response = manager_client.get("/api/audit/", {"ip": "total_credits"})
    assert response.status_code == 400
    assert "ip" in response.json()
    assert manager_client.get("/api/audit/", {"ip": "127.0.0.1"}).status_code == 200


def test_the_csv_export_writes_before_and_after_as_json(manager):
    auditor = ManagerFactory().user
    set_role(auditor, AUDITOR)
    event = record(Action.ACCOUNT_FROZEN, actor=manager.user, target_type="transactions.account", target_id=7,
                   before={"status": "active", "note": None}, after={"status": "frozen", "ok": True,
                                                                      "amount": Decimal("12.50"), "ids": [1, 2]})
    exported = client_for(auditor).get("/api/audit/", {"format": "csv", "action": Action.ACCOUNT_FROZEN})
    (line,) = csv.DictReader(io.StringIO(exported.content.decode()))
    assert line["id"] == str(event.pk)
    assert json.loads(line["before"]) == {"status": "active", "note": None}
    assert json.loads(line["after"]) == {"status": "frozen", "ok": True, "amount": "12.50", "ids": [1, 2]}
    assert line["actor"] == str(manager.user.pk)
