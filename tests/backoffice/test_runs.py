"""How close of business is run: the command, the task, the admin, the lock, the hooks."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from audit.models import Action, AuditEvent
from backoffice import services
from backoffice.models import CloseOfBusinessRun
from backoffice.services import CloseOfBusinessBusy, InvalidBusinessDate, close_through
from backoffice.tasks import close_business_day

from .helpers import close, during

pytestmark = pytest.mark.django_db
HOOK_CALLS = []


def counting_hook(*, now) -> int:
    HOOK_CALLS.append(now)
    return 7


def test_close_day_defaults_to_yesterday_and_catches_up_missed_dates():
    with time_machine.travel(timezone.make_aware(timezone.datetime(2025, 3, 10, 1, 0)), tick=False):
        out = StringIO()
        call_command("close_day", stdout=out)
        assert list(CloseOfBusinessRun.objects.values_list("business_date", flat=True)) == [date(2025, 3, 9)]
        assert "2025-03-09: completed" in out.getvalue()
    with time_machine.travel(timezone.make_aware(timezone.datetime(2025, 3, 13, 1, 0)), tick=False):
        call_command("close_day", stdout=StringIO())
    dates = CloseOfBusinessRun.objects.order_by("id").values_list("business_date", flat=True)
    assert list(dates) == [date(2025, 3, d) for d in (9, 10, 11, 12)]


def test_every_run_writes_one_audit_row_with_what_ran_and_what_failed(monkeypatch):
    def one_item_fails(business_date, errors):
        errors.append({"job": "flaky", "account": 7, "error": "Account is closed."})
        return {"tried": 2}

    jobs = [name for name, _ in services.JOBS]
    with time_machine.travel(timezone.make_aware(timezone.datetime(2025, 3, 12, 1, 0)), tick=False):
        call_command("close_day", "--date", "2025-03-09", stdout=StringIO())
        monkeypatch.setattr(services, "JOBS", [*services.JOBS, ("flaky", one_item_fails)])
        call_command("close_day", stdout=StringIO())  # catches up the 10th and the 11th
    runs = list(CloseOfBusinessRun.objects.order_by("id"))
    rows = list(AuditEvent.objects.filter(action=Action.CLOSE_OF_BUSINESS).order_by("id"))
    assert [(row.target_type, row.target_id) for row in rows] == [
        ("backoffice.closeofbusinessrun", str(run.pk)) for run in runs]
    assert [row.after["business_date"] for row in rows] == ["2025-03-09", "2025-03-10", "2025-03-11"]
    first, last = rows[0].after, rows[-1].after
    assert (first["trigger"], first["status"], first["failures"], first["errors"]) == ("command", "completed", 0, [])
    assert first["jobs"] == jobs and rows[1].after["jobs"] == [*jobs, "flaky"]
    assert first["counts"] == runs[0].counts and rows[0].actor_id is None
    assert (last["status"], last["failures"], last["jobs"][-1], last["counts"]["flaky"]) == (
        "completed_with_errors", 1, "flaky", {"tried": 2})
    assert last["errors"] == [{"job": "flaky", "account": 7, "error": "Account is closed."}]


@pytest.mark.parametrize("value, message", [
    ("2025-13-01", "--date must be a date as YYYY-MM-DD"),
    ("yesterday", "--date must be a date as YYYY-MM-DD"),
])
def test_close_day_refuses_what_is_not_a_date(value, message):
    with pytest.raises(CommandError, match=message):
        call_command("close_day", "--date", value)
    assert not CloseOfBusinessRun.objects.exists()


def test_a_date_that_has_not_ended_cannot_be_closed():
    today = timezone.localdate()
    with pytest.raises(CommandError, match="has not ended yet"):
        call_command("close_day", "--date", today.isoformat())
    with pytest.raises(InvalidBusinessDate):
        close_through(target=today + timedelta(days=3), trigger="test")
    assert not CloseOfBusinessRun.objects.exists()


def test_the_scheduled_task_closes_yesterday():
    with time_machine.travel(timezone.make_aware(timezone.datetime(2025, 6, 2, 0, 30)), tick=False):
        assert close_business_day.delay().get() == ["2025-06-01: completed"]
    run = CloseOfBusinessRun.objects.get()
    assert (run.business_date, run.trigger) == (date(2025, 6, 1), "schedule")
    assert set(run.counts) == {"interest_accrual", "interest_posting", "collection", "overdue", "reminders",
                               "days_past_due", "housekeeping"}
    assert run.finished_at >= run.started_at


def test_a_job_that_raises_fails_the_run_and_stops_the_catch_up(monkeypatch):
    close(date(2025, 1, 1))

    def broken(business_date, errors):
        if business_date == date(2025, 1, 3):
            raise RuntimeError("the database went away")
        return {}

    monkeypatch.setattr(services, "JOBS", [("broken", broken)])
    runs = close(date(2025, 1, 6))
    assert [(run.business_date, run.status) for run in runs] == [
        (date(2025, 1, 2), "completed"), (date(2025, 1, 3), "failed")]
    assert "RuntimeError: the database went away" in runs[-1].errors[0]["error"]
    assert services.last_closed_date() == date(2025, 1, 2)
    failed = AuditEvent.objects.filter(action=Action.CLOSE_OF_BUSINESS).latest("id")
    assert (failed.target_id, failed.after["status"], failed.after["failures"]) == (str(runs[-1].pk), "failed", 1)
    assert failed.after["jobs"] == [] and "the database went away" in failed.after["errors"][0]["error"]


def test_hooks_that_import_run_and_missing_ones_are_skipped():
    HOOK_CALLS.clear()
    hooks = ["tests.backoffice.test_runs.counting_hook", "sessions_app.services.purge_ended_sessions"]
    with override_settings(CLOSE_OF_BUSINESS_HOOKS=hooks):
        [run] = close(date(2025, 2, 1))
    housekeeping = run.counts["housekeeping"]
    assert housekeeping["tests.backoffice.test_runs.counting_hook"] == 7 and len(HOOK_CALLS) == 1
    assert housekeeping["sessions_app.services.purge_ended_sessions"] == "skipped (not installed)"


def test_nightly_housekeeping_expires_unpaid_gateway_payments(customer):
    from payments.models import Payment
    from payments.services import start_payment

    with during(date(2025, 2, 1), hour=10):
        payment = start_payment(account=customer.account, amount=Decimal("50.00"), user=customer.user,
                                callback_base_url="http://testserver")
    [run] = close(date(2025, 2, 1))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.EXPIRED
    assert run.counts["housekeeping"]["payments.services.reconcile"]["expired"] == 1


def test_managers_see_runs_in_the_admin_and_can_run_a_date_again(manager):
    close(date(2025, 4, 1))
    client = Client()
    client.force_login(manager.user)
    changelist = "/admin/backoffice/closeofbusinessrun/"
    assert client.get(changelist).status_code == 200
    run = CloseOfBusinessRun.objects.get()
    assert client.get(f"{changelist}{run.pk}/change/").status_code == 200
    with time_machine.travel(timezone.make_aware(timezone.datetime(2025, 4, 2, 9, 0)), tick=False):
        response = client.post(changelist, {"action": "rerun_selected", "_selected_action": [run.pk]}, follow=True)
    assert "2025-04-01: Completed" in response.content.decode()
    assert list(CloseOfBusinessRun.objects.values_list("business_date", "trigger")) == [
        (date(2025, 4, 1), "admin"), (date(2025, 4, 1), "test")]
    rerun = AuditEvent.objects.filter(action=Action.CLOSE_OF_BUSINESS).latest("id")
    assert (rerun.actor_id, rerun.after["trigger"]) == (manager.user.pk, "admin")
    assert client.get(f"{changelist}add/").status_code == 403


def test_customers_cannot_open_the_runs(customer):
    client = Client()
    client.force_login(customer.user)
    assert client.get("/admin/backoffice/closeofbusinessrun/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_close_while_one_runs_is_refused():
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services.LOCK_KEY])
        with pytest.raises(CloseOfBusinessBusy):
            close(date(2025, 5, 1))
        assert not CloseOfBusinessRun.objects.exists()
        with other.cursor() as cursor:  # the other run ends (closing alone frees it a moment later)
            cursor.execute("SELECT pg_advisory_unlock(%s)", [services.LOCK_KEY])
    finally:
        other.close()
    assert close(date(2025, 5, 1))[0].status == "completed"


@pytest.mark.django_db
def test_every_default_housekeeping_hook_imports():
    """The defaults name real functions: a hook that does not import is skipped silently."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.CLOSE_OF_BUSINESS_HOOKS:
        assert callable(import_string(path)), path
