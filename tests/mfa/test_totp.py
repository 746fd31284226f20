"""TOTP second factor for staff, with a frozen clock (time-machine): enrolment, the
X-OTP-Code header and the 5-minute step-up on risky actions, single-use codes, recovery
codes, throttling, and the admin login asking for a code."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import CustomerFactory, ManagerFactory, fund
from tests.helpers import balance
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mfa_on(settings):
    settings.STAFF_MFA_REQUIRED = True
    settings.API_THROTTLE = False


def code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = datetime.now(UTC).timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    started = client.post("/api/mfa/totp/")
    assert started.status_code == 201, started.content
    device = TOTPDevice.objects.get(user_id=started.wsgi_request.user.pk, confirmed=False)
    confirmed = client.post("/api/mfa/totp/confirm/", {"code": code(device)}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    device.refresh_from_db()
    return device, confirmed.json()["recovery_codes"]


def test_enrolment_gives_a_secret_and_uri_and_needs_a_valid_code(clock, manager):
    client = client_for(manager.user)
    started = client.post("/api/mfa/totp/").json()
    assert re.fullmatch(r"[A-Z2-7]{32}", started["secret"])
    assert started["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={started['secret']}" in started["otpauth_uri"] and "issuer=Bank" in started["otpauth_uri"]
    assert client.get("/api/mfa/").json()["enrolled"] is False
    wrong = client.post("/api/mfa/totp/confirm/", {"code": "000000"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_otp"
    clock.shift(2)  # django-otp backs off after a wrong code
    device = TOTPDevice.objects.get(user=manager.user)
    confirmed = client.post("/api/mfa/totp/confirm/", {"code": code(device)}, format="json")
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/api/mfa/").json()["enrolled"] is True
    assert client.post("/api/mfa/totp/").status_code == 409
    actions = set(AuditEvent.objects.filter(actor=manager.user).values_list("action", flat=True))
    assert {"mfa.enrolment_started", "mfa.code_rejected", "mfa.enabled"} <= actions


def test_must_show_reversal_approval_needs_a_code_used_once(clock, mfa_on):
    customer = CustomerFactory()
    fund(customer, "100.00")
    tx = Transaction.objects.get()
    maker, checker = ManagerFactory().user, ManagerFactory().user
    maker_client, checker_client = client_for(maker), client_for(checker)
    maker_device, _ = enrol(maker_client)
    checker_device, _ = enrol(checker_client)
    clock.shift(30)  # the next time step: the enrolment codes are spent

    path = f"/api/transactions/{tx.pk}/reverse/"
    refused = maker_client.post(path, {"reason": "dup"}, format="json")
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_required"
    asked = maker_client.post(path, {"reason": "dup"}, format="json", HTTP_X_OTP_CODE=code(maker_device))
    assert asked.status_code == 202
    approve = f"/api/approvals/{asked.json()['approval_id']}/approve/"

    no_code = checker_client.post(approve)
    assert no_code.status_code == 401 and no_code.json()["code"] == "mfa_required"
    assert balance(customer) == 100
    one_code = code(checker_device)
    assert checker_client.post(approve, HTTP_X_OTP_CODE=one_code).status_code == 200
    assert balance(customer) == 0
    # The same code again (same time step, another risky action): refused.
    other = CustomerFactory()
    again = checker_client.post(f"/api/accounts/{other.account.account_no}/freeze/", HTTP_X_OTP_CODE=one_code)
    assert again.status_code == 401 and again.json()["code"] == "mfa_required"
    assert AuditEvent.objects.filter(action="mfa.code_accepted", actor=checker).count() == 1
    assert AuditEvent.objects.filter(action="mfa.code_rejected", actor=checker).exists()


def test_step_up_lasts_five_minutes_on_that_login(clock, mfa_on):
    manager = ManagerFactory().user
    client = client_for(manager)
    device, _ = enrol(client)
    clock.shift(30)
    account_no = CustomerFactory().account.account_no
    stepped = client.post("/api/mfa/step-up/", {"code": code(device)}, format="json")
    assert stepped.status_code == 200
    assert client.post(f"/api/accounts/{account_no}/freeze/").status_code == 200
    other_login = client_for(manager)  # another session of the same user: no step-up there
    assert other_login.post(f"/api/accounts/{account_no}/freeze/").status_code == 401
    clock.shift(301)
    second = CustomerFactory().account.account_no
    late = client.post(f"/api/accounts/{second}/freeze/")
    assert late.status_code == 401 and late.json()["code"] == "mfa_required"
    assert AuditEvent.objects.filter(action="mfa.step_up", actor=manager).count() == 1


def test_routine_staff_work_needs_no_code(clock, mfa_on):
    from decimal import Decimal

    from loans import services as loans

    customer = CustomerFactory()
    client = client_for(ManagerFactory().user)  # not even enrolled
    for path in ("/api/customer/", "/api/transactions/", "/api/loans/", "/api/deposit/", "/api/approvals/",
                 f"/api/customer/{customer.pk}/"):
        assert client.get(path).status_code == 200, path
    assert client.post("/api/deposit/", {"account_no": customer.account.account_no, "amount": "20.00"},
                       format="json").status_code == 201
    loan = loans.request_loan(customer=customer, amount_requested=Decimal("1000.00"), term_months=6)
    assert client.post(f"/api/loans/{loan.pk}/approve/", {"amount_approved": "1000.00"},
                       format="json").status_code == 200
    # A risky one: without enrolment, the answer says how to enrol.
    refused = client.post(f"/api/accounts/{customer.account.account_no}/freeze/")
    assert refused.status_code == 401 and "enrol" in refused.json()["detail"]


def test_customers_are_not_asked_for_a_code(clock, mfa_on, customer, customer_client):
    assert customer_client.post("/api/deposit/", {"amount": "10.00"}, format="json").status_code == 201


def test_a_recovery_code_works_once(clock, mfa_on):
    client = client_for(ManagerFactory().user)
    _, recovery = enrol(client)
    assert client.post("/api/mfa/step-up/", {"code": recovery[0]}, format="json").status_code == 200
    clock.shift(5)
    reused = client.post("/api/mfa/step-up/", {"code": recovery[0]}, format="json")
    assert reused.status_code == 400
    assert AuditEvent.objects.filter(action="mfa.recovery_code_used").count() == 1


def test_code_attempts_are_throttled(clock, settings):
    settings.STAFF_MFA_REQUIRED = True
    client = client_for(ManagerFactory().user)
    device, _ = enrol(client)
    clock.shift(30)
    # django-otp: after a wrong code the device refuses even the right one for a while.
    assert client.post("/api/mfa/step-up/", {"code": "000000"}, format="json").status_code == 400
    assert client.post("/api/mfa/step-up/", {"code": code(device)}, format="json").status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the refused right code was not even checked
    # And per user, at most THROTTLE_RATES["mfa"] code attempts a minute.
    statuses = [client.post("/api/mfa/step-up/", {"code": "111111"}, format="json").status_code
                for _ in range(10)]
    assert 429 in statuses


def test_admin_login_asks_staff_for_a_code(clock, mfa_on, client):
    manager = ManagerFactory().user
    manager.set_password("Admin-Pass-42")
    manager.save()
    device, _ = enrol(client_for(manager))
    clock.shift(30)
    page = client.get("/admin/login/")
    assert b"otp_token" in page.content
    without = client.post("/admin/login/", {"username": manager.username, "password": "Admin-Pass-42"})
    assert without.status_code == 200  # the form again, now offering the user's devices
    assert device.persistent_id.encode() in without.content
    assert client.get("/admin/").status_code == 302
    wrong = client.post("/admin/login/", {"username": manager.username, "password": "Admin-Pass-42",
                                          "otp_device": device.persistent_id, "otp_token": "000000"})
    assert wrong.status_code == 200 and client.get("/admin/").status_code == 302
    clock.shift(30)  # past django-otp's back-off after the wrong code
    with_code = client.post("/admin/login/", {"username": manager.username, "password": "Admin-Pass-42",
                                              "otp_device": device.persistent_id, "otp_token": code(device)})
    assert with_code.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.admin_login", actor=manager).exists()


def test_a_session_without_a_verified_code_is_not_let_into_the_admin(mfa_on, client):
    manager = ManagerFactory().user
    client.force_login(manager)
    assert client.get("/admin/").status_code == 302


def test_step_up_is_only_for_enrolled_users(clock, customer_client):
    response = customer_client.post("/api/mfa/step-up/", {"code": "123456"}, format="json")
    assert response.status_code == 400
    assert customer_client.post("/api/mfa/totp/confirm/", {"code": "123456"}, format="json").status_code == 409
    assert customer_client.post("/api/mfa/step-up/", {}, format="json").status_code == 400


def test_ending_a_customers_sessions_needs_a_code_and_leaves_an_audit_row(clock, mfa_on):
    from usersessions.models import Session

    customer = CustomerFactory()
    customer_client = client_for(customer.user)  # the stolen phone's session
    manager_client = client_for(ManagerFactory().user)
    device, _ = enrol(manager_client)
    clock.shift(30)  # the next time step: the enrolment code is spent

    refused = manager_client.post("/api/logout-all/", {"user": customer.user.pk}, format="json")
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_required"
    assert customer_client.get("/api/auth/update-profile/").status_code == 200

    ended = manager_client.post("/api/logout-all/", {"user": customer.user.pk}, format="json",
                                HTTP_X_OTP_CODE=code(device))
    assert ended.status_code == 200 and ended.json()["ended"] == 1
    assert customer_client.get("/api/auth/update-profile/").status_code == 401
    event = AuditEvent.objects.filter(action="auth.sessions_ended").latest("id")
    assert event.target_id == str(customer.user.pk)
    assert event.after["reason"] == Session.EndReason.ENDED_BY_MANAGER and event.after["ended"] == 1
