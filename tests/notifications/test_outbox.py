"""The outbox: written with the change it tells of, emailed once per recipient and event."""

import time
from decimal import Decimal

import pytest
from celery import Celery
from django.conf import settings
from django.core import mail
from django.test import override_settings

from loans import services as loans
from notifications import services, tasks
from notifications.models import EmailPreference, Notification
from tests.conftest import client_for
from tests.factories import PASSWORD
from transactions.services import InsufficientFunds, deposit, transfer

pytestmark = pytest.mark.django_db
D = Decimal


def send_transfer(sender, recipient, amount="25.00"):
    return client_for(sender.user).post(
        "/api/balance-transfer/",
        {"amount": amount, "recipient_account_no": recipient.account.account_no},
        format="json",
    )


def test_a_transfers_recipient_gets_exactly_one_email(funded_customer, other_customer,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_transfer(funded_customer, other_customer).status_code == 201
    # The delivery that follows a commit sends every untried row: the funding deposit's too.
    [email] = [m for m in mail.outbox if m.to == [other_customer.user.email]]
    assert email.to == [other_customer.user.email]
    assert "25.00" in email.subject and other_customer.account.account_no[-4:] in email.body
    notification = Notification.objects.get(user=other_customer.user)
    assert (notification.kind, notification.email_status) == ("money_received", "sent")
    # The sweep, a duplicate task, a redelivered message: no second email for the same event.
    services.deliver_pending()
    services.deliver_event(user_id=other_customer.user.pk, kind="money_received", event=notification.event)
    services.deliver(notification.pk)
    assert [m.to for m in mail.outbox if m.to == [other_customer.user.email]] == [[other_customer.user.email]]
    # The sender is told of nothing but the deposit that funded them (the sweep sent that one).
    assert list(Notification.objects.filter(user=funded_customer.user).values_list("kind", flat=True)) == [
        "deposit_completed"]


def test_the_same_event_recorded_twice_is_one_row(customer):
    for _ in range(2):
        services.notify(user=customer.user, kind="money_received", event="transaction-TX1", subject="s", body="b")
    assert Notification.objects.filter(user=customer.user).count() == 1


def test_a_refused_movement_leaves_no_notification(funded_customer, other_customer):
    with pytest.raises(InsufficientFunds):
        transfer(source=funded_customer.account, recipient_account_no=other_customer.account.account_no,
                 amount=D("5000.00"), performed_by=None)
    assert not Notification.objects.filter(user=other_customer.user).exists()


def test_with_the_broker_down_the_movement_succeeds_and_the_row_waits_for_the_sweep(
    funded_customer, other_customer, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    # A Celery app whose broker is a Redis port nothing listens on, with the project's timeouts.
    unreachable = Celery("unreachable", broker="redis://127.0.0.1:1/0", set_as_current=False)
    unreachable.conf.update(broker_transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                            broker_connection_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
                            task_publish_retry=False)

    @unreachable.task(name="notifications.deliver_new", shared=False)
    def task():
        raise AssertionError("never runs: nothing can receive it")

    monkeypatch.setattr(tasks, "deliver_new_notifications", task)
    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    monkeypatch.setattr(services, "_next_request_at", 0.0)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = send_transfer(funded_customer, other_customer)
    elapsed = time.monotonic() - started
    assert response.status_code == 201 and elapsed < 5
    assert "not enqueued (OperationalError" in caplog.text
    # The next requests of this process do not wait on the dead broker again for a while.
    caplog.clear()
    assert services.enqueue_delivery() is False
    assert caplog.text == ""
    notification = Notification.objects.get(user=other_customer.user)
    assert notification.email_status == "pending" and mail.outbox == []
    assert services.deliver_pending() == {"sent": 2}  # the funding deposit's and the transfer's
    assert sorted(m.to[0] for m in mail.outbox) == sorted([funded_customer.user.email, other_customer.user.email])


class RecordingTask:
    """Stands in for the deliver_new task on a real (not eager) queue: records each request."""

    def __init__(self):
        self.requests = []
        self.app = Celery("recording", broker="memory://", set_as_current=False)

    def apply_async(self, countdown=None):
        self.requests.append(countdown)


def test_delivery_is_asked_for_at_most_once_a_second_per_process_and_runs_after_the_commits_it_covers(
    funded_customer, other_customer, django_capture_on_commit_callbacks, monkeypatch
):
    task, clock = RecordingTask(), [1000.0]
    monkeypatch.setattr(tasks, "deliver_new_notifications", task)
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(services, "_next_request_at", 0.0)
    for _ in range(3):  # three transfers within the second: one request, run a second later
        with django_capture_on_commit_callbacks(execute=True):
            assert send_transfer(funded_customer, other_customer, "1.00").status_code == 201
        clock[0] += 0.3
    assert task.requests == [services.DELIVERY_DELAY_SECONDS]
    clock[0] += 0.2  # the requested delivery has started by now: the next commit asks again
    with django_capture_on_commit_callbacks(execute=True):
        assert send_transfer(funded_customer, other_customer, "1.00").status_code == 201
    assert task.requests == [services.DELIVERY_DELAY_SECONDS] * 2
    # What the requested task does: every untried row, once each.
    assert services.deliver_pending(untried_only=True) == {"sent": 5}  # the funding deposit's and 4 transfers'


def test_the_requested_delivery_goes_on_past_one_batch(customer, monkeypatch):
    monkeypatch.setattr(services, "SWEEP_BATCH", 3)
    for n in range(7):
        services.notify(user=customer.user, kind="money_received", event=f"transaction-TXB{n}", subject="s", body="b")
    assert services.deliver_new() == {"sent": 7}
    assert len(mail.outbox) == 7


def test_the_requested_delivery_leaves_failed_sends_to_the_minute_sweep(customer):
    services.notify(user=customer.user, kind="money_received", event="transaction-TX9", subject="s", body="b")
    with override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.EmailBackend"):
        assert services.deliver_pending(untried_only=True) == {"error": 1}
    assert services.deliver_pending(untried_only=True) == {}
    assert services.deliver_pending() == {"sent": 1}


def test_a_failed_send_is_retried_by_the_sweep_and_given_up_after_five_tries(customer):
    services.notify(user=customer.user, kind="money_received", event="transaction-TX2", subject="s", body="b")
    with override_settings(EMAIL_BACKEND="tests.notifications.failing_backend.EmailBackend"):
        for _ in range(5):
            assert services.deliver_pending() == {"error": 1}
    notification = Notification.objects.get()
    assert (notification.email_status, notification.email_attempts) == ("failed", 5)
    assert "SMTP" in notification.last_error
    assert services.deliver_pending() == {}


def test_opted_out_kinds_are_listed_but_not_emailed(customer):
    EmailPreference.objects.create(user=customer.user, kind="money_received", email=False)
    services.notify(user=customer.user, kind="money_received", event="transaction-TX3", subject="s", body="b")
    assert services.deliver_pending() == {"skipped": 1}
    assert mail.outbox == []
    assert client_for(customer.user).get("/api/notifications/").json()["count"] == 1


def test_a_user_without_an_email_address_is_skipped(customer):
    customer.user.email = ""
    customer.user.save()
    services.notify(user=customer.user, kind="new_sign_in", event="sign-in-1", subject="s", body="b")
    assert services.deliver_pending() == {"skipped": 1}


def test_deposits_loan_decisions_sign_ins_and_password_changes_are_told(customer, manager, api_client):
    deposit(account=customer.account, amount=D("100.00"), performed_by=manager.user)
    approved = loans.request_loan(customer=customer, amount_requested=D("1200.00"), term_months=12)
    loans.approve_loan(loan=approved, amount_approved=D("1200.00"), decided_by=manager.user)
    rejected = loans.request_loan(customer=customer, amount_requested=D("1000.00"), term_months=12)
    loans.reject_loan(loan=rejected, decided_by=manager.user, reason="Income too low")
    api_client.post("/api/login/", {"username": customer.user.username, "password": PASSWORD}, format="json")
    client_for(customer.user).put("/api/update-password/", {
        "old_password": PASSWORD, "new_password": "Another-Horse-43", "confirm_password": "Another-Horse-43",
    }, format="json")
    kinds = sorted(Notification.objects.filter(user=customer.user).values_list("kind", flat=True))
    assert kinds == ["deposit_completed", "loan_approved", "loan_rejected", "new_sign_in", "password_changed"]
    assert "Income too low" in Notification.objects.get(kind="loan_rejected").body
